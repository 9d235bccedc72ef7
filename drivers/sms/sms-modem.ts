import type { DeliveryOutcome } from './delivery-tracker.js';
import type { SmsError } from './errors.js';
import type { Registration, SignalQuality, SimState } from './at-responses.js';
import type { SmsEncoding } from './split-text.js';

/**
 * What the rest of fenghuo needs from an SMS modem. Failures to send are results, not exceptions: an alarm path can
 * always read whether the message went out and, if not, why (SmsError.code / .kind / .detail.cms).
 */

export interface SmsSendOptions {
  /** Ask the network for a delivery report (reported through onDelivery). */
  readonly requestReport?: boolean;
  /** Force UCS-2 even for text GSM-7 could carry. */
  readonly encoding?: SmsEncoding;
}

export type SmsSendResult =
  | {
      readonly ok: true;
      /** The driver's own id for this message, used again in its DeliveryOutcome. */
      readonly messageId: string;
      readonly encoding: SmsEncoding;
      /** TP-MR of each part as the modem answered it, in part order. */
      readonly references: readonly number[];
    }
  | {
      readonly ok: false;
      readonly error: SmsError;
      /** Parts the network had accepted before the failure (a long message may arrive cut short). */
      readonly partsSent: number;
      readonly partsTotal: number;
    };

export type SimStatus = SimState | 'absent' | 'unknown';

export interface SmsModemStatus {
  /** Port open and init dialogue done. */
  readonly ready: boolean;
  readonly sim: SimStatus;
  readonly signal: SignalQuality | undefined;
  /** Best of CS (+CREG) and EPS (+CEREG) registration. */
  readonly registration: Registration;
  /** Why the modem is not ready, when it is not. */
  readonly lastError: SmsError | undefined;
}

export type { DeliveryOutcome };

export interface SmsModem {
  send(number: string, text: string, opts?: SmsSendOptions): Promise<SmsSendResult>;
  /** Asks the modem now (opening the port and running the init dialogue if needed). */
  status(): Promise<SmsModemStatus>;
  /** Called with each message's final delivery state. Returns a function that removes the listener. */
  onDelivery(listener: (outcome: DeliveryOutcome) => void): () => void;
  close(): Promise<void>;
}
