import type { SmsFailureKind } from './cms-errors.js';

export type SmsErrorCode =
  /** No SIM in the modem (+CME ERROR: 10, +CPIN answered with an error, +CMS ERROR: 310). */
  | 'no_sim'
  /** The SIM asks for a PIN and none was configured. */
  | 'pin_required'
  /** The configured PIN was refused (+CME ERROR: 16); the driver does not try it again (3 tries lock the SIM). */
  | 'pin_wrong'
  /** The SIM is locked behind its PUK: someone has to unlock it by hand. */
  | 'puk_required'
  /** The modem is not registered on a network (home or roaming). */
  | 'no_network'
  /** The modem or network refused the message: see `cms` for the code and its meaning. */
  | 'cms_error'
  /** The modem refused a command with +CME ERROR (see `cme`) or a bare ERROR. */
  | 'modem_error'
  /** No (complete) answer within the timeout: the modem stopped answering. */
  | 'timeout'
  /** The modem printed its boot banner: it restarted and forgot its state. */
  | 'modem_reset'
  /** The serial device could not be opened. */
  | 'port_unavailable'
  /** The serial device went away (port closed, adapter re-enumerated). */
  | 'port_lost'
  /** The number or text cannot be sent (not a number, too long). */
  | 'invalid_input'
  /** An HTTP SMS platform refused or failed the request (see `http`: the status, or the answer's error field). */
  | 'http_error'
  | 'closed';

export interface ModemErrorDetail {
  readonly code: number;
  readonly meaning: string;
  readonly kind: SmsFailureKind;
}

export class SmsError extends Error {
  constructor(
    readonly code: SmsErrorCode,
    message: string,
    readonly detail: { readonly cms?: ModemErrorDetail; readonly cme?: ModemErrorDetail; readonly http?: ModemErrorDetail } = {},
  ) {
    super(message);
    this.name = 'SmsError';
  }

  /** What the caller can do about it, in the terms of cms-errors.ts. */
  get kind(): SmsFailureKind {
    if (this.detail.cms) return this.detail.cms.kind;
    if (this.detail.http) return this.detail.http.kind;
    switch (this.code) {
      case 'no_sim':
      case 'pin_required':
      case 'pin_wrong':
      case 'puk_required':
        return 'sim';
      case 'no_network':
        return 'network';
      case 'invalid_input':
        return 'destination';
      default:
        return this.detail.cme?.kind ?? 'modem';
    }
  }
}
