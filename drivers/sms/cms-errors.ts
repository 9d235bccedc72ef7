/**
 * Meanings of +CMS ERROR codes (3GPP TS 27.005 §3.2.5; 0–127 are the network's RP/TP causes of TS 24.011 and
 * TS 23.040) and of the +CME ERROR codes the driver acts on (TS 27.007 §9.2). `kind` is what a caller can act on.
 */

export type SmsFailureKind =
  /** The network or SMSC refused or could not take it now (congestion, out of order): try later or another way. */
  | 'network'
  /** Refused for this subscriber: barred, no credit, not provisioned. Retrying will not help until someone pays or fixes it. */
  | 'subscription'
  /** The SMSC address is missing or wrong on the SIM. */
  | 'smsc'
  /** The SIM is missing, locked or broken. */
  | 'sim'
  /** The destination number is wrong. */
  | 'destination'
  /** The modem could not do it (memory, unknown, bad PDU): may pass on retry. */
  | 'modem';

export interface ErrorMeaning {
  readonly meaning: string;
  readonly kind: SmsFailureKind;
}

const CMS: Readonly<Record<number, ErrorMeaning>> = {
  1: { meaning: 'unassigned (unallocated) number', kind: 'destination' },
  8: { meaning: 'operator determined barring', kind: 'subscription' },
  10: { meaning: 'call barred', kind: 'subscription' },
  21: { meaning: 'short message transfer rejected', kind: 'network' },
  27: { meaning: 'destination out of service', kind: 'destination' },
  28: { meaning: 'unidentified subscriber', kind: 'destination' },
  29: { meaning: 'facility rejected', kind: 'subscription' },
  30: { meaning: 'unknown subscriber', kind: 'subscription' },
  38: { meaning: 'network out of order', kind: 'network' },
  41: { meaning: 'temporary failure', kind: 'network' },
  42: { meaning: 'congestion', kind: 'network' },
  47: { meaning: 'resources unavailable, unspecified', kind: 'network' },
  50: { meaning: 'requested facility not subscribed', kind: 'subscription' },
  69: { meaning: 'requested facility not implemented', kind: 'network' },
  96: { meaning: 'invalid mandatory information', kind: 'modem' },
  111: { meaning: 'protocol error, unspecified', kind: 'network' },
  127: { meaning: 'interworking, unspecified', kind: 'network' },
  300: { meaning: 'ME failure', kind: 'modem' },
  301: { meaning: 'SMS service of ME reserved', kind: 'modem' },
  302: { meaning: 'operation not allowed', kind: 'modem' },
  303: { meaning: 'operation not supported', kind: 'modem' },
  304: { meaning: 'invalid PDU mode parameter', kind: 'modem' },
  305: { meaning: 'invalid text mode parameter', kind: 'modem' },
  310: { meaning: 'SIM not inserted', kind: 'sim' },
  311: { meaning: 'SIM PIN required', kind: 'sim' },
  312: { meaning: 'PH-SIM PIN required', kind: 'sim' },
  313: { meaning: 'SIM failure', kind: 'sim' },
  314: { meaning: 'SIM busy', kind: 'sim' },
  315: { meaning: 'SIM wrong', kind: 'sim' },
  316: { meaning: 'SIM PUK required', kind: 'sim' },
  320: { meaning: 'memory failure', kind: 'modem' },
  322: { meaning: 'memory full', kind: 'modem' },
  330: { meaning: 'SMSC address unknown', kind: 'smsc' },
  331: { meaning: 'no network service', kind: 'network' },
  332: { meaning: 'network timeout', kind: 'network' },
  340: { meaning: 'no +CNMA acknowledgement expected', kind: 'modem' },
  500: { meaning: 'unknown error', kind: 'modem' },
};

/** +CME ERROR codes (TS 27.007 §9.2.1) the driver distinguishes. */
export const CME = {
  simNotInserted: 10,
  simPinRequired: 11,
  simPukRequired: 12,
  simFailure: 13,
  simBusy: 14,
  incorrectPassword: 16,
  noNetworkService: 30,
} as const;

const CME_MEANINGS: Readonly<Record<number, ErrorMeaning>> = {
  3: { meaning: 'operation not allowed', kind: 'modem' },
  4: { meaning: 'operation not supported', kind: 'modem' },
  10: { meaning: 'SIM not inserted', kind: 'sim' },
  11: { meaning: 'SIM PIN required', kind: 'sim' },
  12: { meaning: 'SIM PUK required', kind: 'sim' },
  13: { meaning: 'SIM failure', kind: 'sim' },
  14: { meaning: 'SIM busy', kind: 'sim' },
  15: { meaning: 'SIM wrong', kind: 'sim' },
  16: { meaning: 'incorrect password', kind: 'sim' },
  30: { meaning: 'no network service', kind: 'network' },
  31: { meaning: 'network timeout', kind: 'network' },
  100: { meaning: 'unknown', kind: 'modem' },
};

export function cmsMeaning(code: number): ErrorMeaning {
  const known = CMS[code];
  if (known) return known;
  if (code < 128) return { meaning: `network cause ${code}`, kind: 'network' };
  if (code >= 512) return { meaning: `manufacturer-specific error ${code}`, kind: 'modem' };
  return { meaning: `reserved error ${code}`, kind: 'modem' };
}

export function cmeMeaning(code: number): ErrorMeaning {
  return CME_MEANINGS[code] ?? { meaning: `modem error ${code}`, kind: 'modem' };
}
