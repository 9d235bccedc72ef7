import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * One JSON line per event on stdout, journald-ready: `level` is a label, time is ISO 8601 UTC.
 * Every line carries `event` (a short dotted name) so lines can be filtered without parsing messages.
 */
export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  const level = opts.level ?? process.env.FENGHUO_LOG_LEVEL ?? 'info';
  return pino(
    {
      level,
      base: { app: 'fenghuo' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['password', '*.password', 'token', '*.token', 'secret', '*.secret'], censor: '[redacted]' },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that drops everything; for unit tests of modules that require one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
