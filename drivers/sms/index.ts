export { AtSmsModem, type AtSmsModemOptions } from './at-sms-modem.js';
export type { SmsModem, SmsModemStatus, SmsSendOptions, SmsSendResult, SimStatus } from './sms-modem.js';
export type { DeliveryOutcome } from './delivery-tracker.js';
export { SmsError, type SmsErrorCode, type ModemErrorDetail } from './errors.js';
export { cmsMeaning, cmeMeaning, type SmsFailureKind, type ErrorMeaning } from './cms-errors.js';
export type { Registration, SignalQuality } from './at-responses.js';
export { planParts, type SmsEncoding, type SmsPartPlan } from './split-text.js';
export type { SmsTransport, SmsTransportStatus } from './transport.js';
export { HttpSmsPlatform, type HttpSmsPlatformOptions } from './http-platform.js';
