import { AtSmsModem } from '../../drivers/sms/at-sms-modem.js';
import { HttpSmsPlatform } from '../../drivers/sms/http-platform.js';
import type { SmsTransport } from '../../drivers/sms/transport.js';
import type { SmsConfig } from './config-schema.js';
import { SmsNotifier, type SmsNotifierOptions, type SmsTransportKind } from './sms-notifier.js';

/** The transport the config names: the USB modem or the HTTP platform. */
export function smsTransportFor(config: SmsConfig, log: SmsNotifierOptions['log']): { transport: SmsTransport; kind: SmsTransportKind } {
  const t = config.transport;
  if ('modem' in t) {
    const m = t.modem;
    return { kind: 'modem', transport: new AtSmsModem({ path: m.path, baudRate: m.baudRate, ...(m.pin === undefined ? {} : { pin: m.pin }), logger: log }) };
  }
  const h = t.http;
  return {
    kind: 'http',
    transport: new HttpSmsPlatform({
      url: h.url,
      format: h.format,
      fields: h.fields,
      secretFile: h.secretFile,
      signatureHeader: h.signatureHeader,
      timestampHeader: h.timestampHeader,
      nonceHeader: h.nonceHeader,
      timeoutMs: h.timeoutMs,
      ...(h.successField === undefined ? {} : { successField: h.successField }),
      successValue: h.successValue,
      ...(h.messageIdField === undefined ? {} : { messageIdField: h.messageIdField }),
      logger: log,
    }),
  };
}

/** The SMS module of the config's `sms` section, or undefined without one. */
export function setUpSms(opts: Omit<SmsNotifierOptions, 'config' | 'transport' | 'transportKind'> & { readonly config: SmsConfig | undefined }): SmsNotifier | undefined {
  if (opts.config === undefined) return undefined;
  const { transport, kind } = smsTransportFor(opts.config, opts.log);
  return new SmsNotifier({ ...opts, config: opts.config, transport, transportKind: kind });
}
