import type { DeliveryOutcome } from './delivery-tracker.js';
import type { SmsError } from './errors.js';
import type { SmsSendOptions, SmsSendResult } from './sms-modem.js';

/**
 * What a sender of SMS offers, whatever carries them: the USB modem (`AtSmsModem`, an `SmsModem`) or a carrier's HTTP
 * platform (`HttpSmsPlatform`). Failures to send are results carrying a typed SmsError, as with the modem.
 */
export interface SmsTransportStatus {
  /** Able to send now (as far as the transport can tell without sending). */
  readonly ready: boolean;
  /** Why not, when not. */
  readonly lastError: SmsError | undefined;
}

export interface SmsTransport {
  send(number: string, text: string, opts?: SmsSendOptions): Promise<SmsSendResult>;
  status(): Promise<SmsTransportStatus>;
  /** Final delivery states, for transports that get reports (the HTTP platform never calls it). */
  onDelivery(listener: (outcome: DeliveryOutcome) => void): () => void;
  close(): Promise<void>;
}
