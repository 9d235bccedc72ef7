import { parse, Report } from 'node-pdu';

/**
 * Reading an SMS-STATUS-REPORT (3GPP TS 23.040 §9.2.2.3) from a +CDS URC. Decoding is node-pdu's; what the
 * status octet means (§9.2.3.15) is ours.
 */

export type DeliveryState = 'delivered' | 'pending' | 'failed';

export interface StatusReport {
  /** TP-MR of the message reported on (what +CMGS answered). */
  readonly reference: number;
  /** The recipient as the network reports it. */
  readonly recipient: string;
  /** TP-ST as received. */
  readonly status: number;
  readonly state: DeliveryState;
}

/** 0x00–0x1F: completed; 0x20–0x3F: temporary error, SC still trying; 0x40 and up: failed (permanent, or SC gave up). */
export function deliveryStateOf(status: number): DeliveryState {
  if (status < 0x20) return 'delivered';
  if (status < 0x40) return 'pending';
  return 'failed';
}

/** The report a +CDS PDU carries, or undefined when the PDU is not a status report or cannot be read. */
export function decodeStatusReport(pduHex: string): StatusReport | undefined {
  let decoded: ReturnType<typeof parse>;
  try {
    decoded = parse(pduHex);
  } catch {
    return undefined;
  }
  if (!(decoded instanceof Report)) return undefined;
  const phone = decoded.address.phone ?? '';
  const international = decoded.address.type.type === 0x01;
  return {
    reference: decoded.reference,
    recipient: international && phone && !phone.startsWith('+') ? `+${phone}` : phone,
    status: decoded.status,
    state: deliveryStateOf(decoded.status),
  };
}
