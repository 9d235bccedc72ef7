import { packSeptets, toGsm7Septets } from './gsm7.js';
import type { SmsEncoding } from './split-text.js';

/**
 * SMS-SUBMIT TPDU (3GPP TS 23.040 §9.2.2.2) as hex for AT+CMGS in PDU mode (TS 27.005 §3.5.1). The SMSC address
 * is left empty ("00") so the modem uses the one stored on the SIM.
 */

export interface ConcatHeader {
  /** 8-bit reference shared by all parts of one message. */
  readonly reference: number;
  readonly total: number;
  /** 1-based. */
  readonly sequence: number;
}

export interface SubmitPduInput {
  /** Digits, optionally with a leading + (international). */
  readonly number: string;
  readonly encoding: SmsEncoding;
  readonly text: string;
  readonly concat?: ConcatHeader;
  readonly requestReport: boolean;
}

export interface SubmitPdu {
  /** Hex of SMSC field + TPDU, what is written after the prompt. */
  readonly hex: string;
  /** TPDU length in octets, excluding the SMSC field: the argument of AT+CMGS. */
  readonly tpduLength: number;
}

const MTI_SUBMIT = 0x01;
const VPF_RELATIVE = 0x10;
const SRR = 0x20;
const UDHI = 0x40;
/** Relative validity 167 = 24 hours (TS 23.040 §9.2.3.12.1): a flood warning older than a day is not worth delivering. */
const VALIDITY_24H = 0xa7;
const TOA_INTERNATIONAL = 0x91;
const TOA_UNKNOWN = 0x81;
const DCS_GSM7 = 0x00;
const DCS_UCS2 = 0x08;
const IEI_CONCAT_8BIT = 0x00;

export const PHONE_NUMBER = /^\+?[0-9]{3,20}$/;

export class PduInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PduInputError';
  }
}

export function encodeAddress(number: string): number[] {
  if (!PHONE_NUMBER.test(number)) throw new PduInputError(`not a phone number: ${JSON.stringify(number)}`);
  const international = number.startsWith('+');
  const digits = international ? number.slice(1) : number;
  const out = [digits.length, international ? TOA_INTERNATIONAL : TOA_UNKNOWN];
  for (let i = 0; i < digits.length; i += 2) {
    const lo = Number(digits[i]);
    const hi = i + 1 < digits.length ? Number(digits[i + 1]) : 0xf;
    out.push((hi << 4) | lo);
  }
  return out;
}

function ucs2Bytes(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out.push(unit >> 8, unit & 0xff);
  }
  return out;
}

function concatUdh(c: ConcatHeader): number[] {
  if (c.reference < 0 || c.reference > 255 || c.total < 1 || c.total > 255 || c.sequence < 1 || c.sequence > c.total) {
    throw new PduInputError(`bad concatenation header ${JSON.stringify(c)}`);
  }
  return [5, IEI_CONCAT_8BIT, 3, c.reference, c.total, c.sequence];
}

function userData(input: SubmitPduInput): { udl: number; bytes: number[] } {
  const udh = input.concat ? concatUdh(input.concat) : [];
  if (input.encoding === 'ucs2') {
    const bytes = [...udh, ...ucs2Bytes(input.text)];
    if (bytes.length > 140) throw new PduInputError(`user data of ${bytes.length} octets does not fit one SMS (140)`);
    return { udl: bytes.length, bytes };
  }
  const headerSeptets = Math.ceil((udh.length * 8) / 7);
  const fillBits = headerSeptets * 7 - udh.length * 8;
  const septets = toGsm7Septets(input.text);
  const udl = headerSeptets + septets.length;
  if (udl > 160) throw new PduInputError(`user data of ${udl} septets does not fit one SMS (160)`);
  return { udl, bytes: [...udh, ...packSeptets(septets, fillBits)] };
}

export function encodeSubmitPdu(input: SubmitPduInput): SubmitPdu {
  const firstOctet = MTI_SUBMIT | VPF_RELATIVE | (input.requestReport ? SRR : 0) | (input.concat ? UDHI : 0);
  const ud = userData(input);
  const tpdu = [
    firstOctet,
    0x00, // TP-MR: the modem assigns the reference and reports it in +CMGS.
    ...encodeAddress(input.number),
    0x00, // TP-PID: plain SMS
    input.encoding === 'ucs2' ? DCS_UCS2 : DCS_GSM7,
    VALIDITY_24H,
    ud.udl,
    ...ud.bytes,
  ];
  return { hex: '00' + toHex(tpdu), tpduLength: tpdu.length };
}

function toHex(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}
