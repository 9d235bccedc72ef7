/**
 * Builds the SMS-STATUS-REPORT PDU a simulated network sends back (3GPP TS 23.040 §9.2.2.3), with an empty SMSC
 * field, as a modem prints it after +CDS. Written from the spec, separately from the driver (which reads it with
 * node-pdu), so the pair checks each other.
 */

export interface StatusReportInput {
  readonly reference: number;
  readonly recipient: string;
  /** TP-ST: 0x00 delivered, 0x20–0x3F still trying, 0x40+ failed. */
  readonly status: number;
  readonly at: Date;
}

export function buildStatusReportPdu(r: StatusReportInput): { readonly hex: string; readonly tpduLength: number } {
  const international = r.recipient.startsWith('+');
  const digits = international ? r.recipient.slice(1) : r.recipient;
  const address = [digits.length, international ? 0x91 : 0x81, ...swappedSemiOctets(digits)];
  const ts = timestamp(r.at);
  // First octet 0x06: TP-MTI = 10 (status report), TP-MMS = 1 (no more messages).
  const tpdu = [0x06, r.reference & 0xff, ...address, ...ts, ...ts, r.status & 0xff];
  return { hex: '00' + tpdu.map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase(), tpduLength: tpdu.length };
}

function swappedSemiOctets(digits: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < digits.length; i += 2) {
    const lo = Number(digits[i]);
    const hi = i + 1 < digits.length ? Number(digits[i + 1]) : 0xf;
    out.push((hi << 4) | lo);
  }
  return out;
}

/** TP-SCTS in UTC (time zone 00), each field two swapped BCD digits. */
function timestamp(d: Date): number[] {
  const fields = [d.getUTCFullYear() % 100, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0];
  return fields.map((v) => ((v % 10) << 4) | Math.floor(v / 10));
}
