/**
 * Reading what a modem answers (3GPP TS 27.007 / 27.005): final result codes, the information lines the driver asks
 * for, and unsolicited result codes (URCs), which may arrive at any time, even between a command and its answer.
 */

export type FinalResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error' }
  | { readonly kind: 'cme'; readonly code: number }
  | { readonly kind: 'cms'; readonly code: number };

/** The final result code a line is, or undefined when it is not one. */
export function parseFinalResult(line: string): FinalResult | undefined {
  if (line === 'OK') return { kind: 'ok' };
  if (line === 'ERROR' || line === 'NO CARRIER' || line === 'COMMAND NOT SUPPORT') return { kind: 'error' };
  const m = /^\+(CME|CMS) ERROR:\s*(\d+)$/.exec(line);
  if (m) return { kind: m[1] === 'CME' ? 'cme' : 'cms', code: Number(m[2]) };
  // +CMEE=2 gives text; the driver asks for numbers, but a modem that ignores that still fails the command.
  if (/^\+(CME|CMS) ERROR:/.test(line)) return { kind: 'error' };
  return undefined;
}

/**
 * Lines a modem prints when it has (re)started: Quectel and SIMCom print RDY, some SIMCom START, Huawei ^SYSSTART,
 * u-blox and others +PBREADY / SMS Ready late in their boot.
 */
export const DEFAULT_BOOT_BANNERS: readonly string[] = ['RDY', 'START', '^SYSSTART', 'SMS Ready', 'Call Ready', '+PBREADY', 'PB DONE', 'SMS DONE'];

const URC_PREFIXES = ['RING', '+CRING:', '+CLIP:', '+CMTI:', '+CDSI:', '+CBM:', '+CUSD:', '^', '+QIND:', '+CIEV:', '+CTZV:', '+NITZ', '+CGEV:', '+CPIN:', '+CFUN:'];

/**
 * Whether a line is a URC rather than part of the answer to `expectPrefix` (the information-response prefix of the
 * command in flight, e.g. "+CREG:"). +CREG: and friends are both: the answer to AT+CREG? begins with <n>,<stat> (two
 * bare numbers), while the URC begins with <stat> alone or <stat>,"<lac>".
 */
export function isUrc(line: string, expectPrefix: string | undefined): boolean {
  const regMatch = /^\+(CREG|CGREG|CEREG|C5GREG):\s*(.*)$/.exec(line);
  if (regMatch) {
    if (expectPrefix !== `+${regMatch[1]}:`) return true;
    const fields = (regMatch[2] ?? '').split(',');
    return !(fields.length >= 2 && /^\d+$/.test(fields[1]?.trim() ?? ''));
  }
  if (expectPrefix && line.startsWith(expectPrefix)) return false;
  return URC_PREFIXES.some((p) => line.startsWith(p));
}

export function isBootBanner(line: string, banners: readonly string[] = DEFAULT_BOOT_BANNERS): boolean {
  return banners.includes(line);
}

export type SimState = 'ready' | 'pin_required' | 'puk_required' | 'other_lock';

/** +CPIN: <code> (TS 27.007 §8.3). */
export function parseCpin(line: string): SimState | undefined {
  const m = /^\+CPIN:\s*"?([A-Z\- 0-9]+?)"?$/.exec(line);
  if (!m) return undefined;
  switch (m[1]) {
    case 'READY':
      return 'ready';
    case 'SIM PIN':
      return 'pin_required';
    case 'SIM PUK':
      return 'puk_required';
    default:
      return 'other_lock';
  }
}

export interface SignalQuality {
  /** Received signal strength in dBm, undefined when the modem does not know (rssi 99). */
  readonly dbm: number | undefined;
  /** The raw <rssi> 0–31 (99 unknown). */
  readonly rssi: number;
  /** <ber> 0–7, 99 unknown. */
  readonly ber: number;
}

/** +CSQ: <rssi>,<ber> (TS 27.007 §8.5): rssi 0 = −113 dBm or less, 31 = −51 dBm or more, 2 dBm a step. */
export function parseCsq(line: string): SignalQuality | undefined {
  const m = /^\+CSQ:\s*(\d+)\s*,\s*(\d+)$/.exec(line);
  if (!m) return undefined;
  const rssi = Number(m[1]);
  const ber = Number(m[2]);
  return { rssi, ber, dbm: rssi <= 31 ? -113 + 2 * rssi : undefined };
}

export type Registration = 'home' | 'roaming' | 'searching' | 'denied' | 'not_registered' | 'unknown';

const REG_STAT: Readonly<Record<number, Registration>> = {
  0: 'not_registered',
  1: 'home',
  2: 'searching',
  3: 'denied',
  4: 'unknown',
  5: 'roaming',
  // 6/7 are "SMS only" home/roaming (TS 27.007 §7.2): SMS is exactly what we need.
  6: 'home',
  7: 'roaming',
};

/** The <stat> of an answer to AT+CREG?/+CGREG?/+CEREG? (`+CREG: <n>,<stat>[,…]`) or of a URC (`+CREG: <stat>[,…]`). */
export function parseRegistration(line: string, form: 'answer' | 'urc'): { readonly command: string; readonly state: Registration } | undefined {
  const m = /^\+(CREG|CGREG|CEREG|C5GREG):\s*(.*)$/.exec(line);
  if (!m) return undefined;
  const fields = (m[2] ?? '').split(',').map((f) => f.trim());
  const stat = Number(fields[form === 'answer' ? 1 : 0]);
  if (!Number.isInteger(stat)) return undefined;
  return { command: m[1] ?? '', state: REG_STAT[stat] ?? 'unknown' };
}

export function isRegistered(r: Registration): boolean {
  return r === 'home' || r === 'roaming';
}

/** +CMGS: <mr> (TS 27.005 §3.5.1). */
export function parseCmgs(line: string): number | undefined {
  const m = /^\+CMGS:\s*(\d+)/.exec(line);
  return m ? Number(m[1]) : undefined;
}
