/**
 * `fenghuo hub order …`: issue a downstream order from the hub machine's shell, against the hub's store and county
 * key from the hub config (like `hub enrol-code`). A running hub, this process or another on the same database,
 * serves it to the waiting boxes within its poll (docs/sync.md, "Downstream").
 */
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { CliIo } from '../../node-daemon/core/cli-io.js';
import { ALARM_LEVELS } from '../../node-daemon/alarms/types.js';
import { parseVerbArgs, usageError as verbUsageError, withHubStore, type VerbUsage } from '../cli-verbs.js';
import type { HubConfig } from '../config.js';
import { loadOrCreateCountyKey } from '../county-key.js';
import type { IssueRequest } from './build-order.js';
import { issueOrder, OrderRequestError } from './issue-order.js';
import { HubOrderStore, OrderIdTaken } from './order-store.js';

export const ORDER_USAGE = `  fenghuo hub order alarm --level prepare|evacuate --title T [--message M] [--drill] [--id ALERT_ID] [--to BOX,...] [--ttl MIN]
      A county alarm (县级预警) for the boxes: it sounds on their loudspeakers and shows on their LED boards. Prints
      the alert id (for hub order clear) and the order id.
  fenghuo hub order clear ALERT_ID [--note N] [--to BOX,...] [--ttl MIN]
      Clears (解除) that county alarm on the boxes.
  fenghuo hub order notice --title T --text X [--announce] [--led] [--to BOX,...] [--ttl MIN]
      A notice (通知): listed by the boxes' API; --announce reads it out on the loudspeakers (never over an alarm),
      --led shows it on the LED boards; shown until it expires (--ttl, default 24 h).
  fenghuo hub order settings --section alarms|dispatch --file F.json [--to BOX,...] [--ttl MIN]
      Replaces that settings section on the boxes (thresholds, dispatch plans), applied as if changed on the box
      and audited as county; a box on which it does not validate refuses it whole.
      Every order: --by NAME (default cli:<user>), --config FILE; --ttl in minutes (at most 30 days).`;

const USAGE = `fenghuo hub order: issue a signed order to the boxes\n\n${ORDER_USAGE}`;

/** Whether `fenghuo hub …`'s first verb is `order` (options before it are the hub's: only --config takes a value). */
export function isOrderCommand(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i]!;
    if (a === '--config') {
      i += 1;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a === 'order';
  }
  return false;
}

const ORDER: VerbUsage = { prefix: 'fenghuo hub order', text: USAGE };

function usageError(io: CliIo, message: string): number {
  return verbUsageError(io, ORDER, message);
}

type LoadConfig = (file: string | undefined) => Promise<HubConfig | number>;

/** `argv`: everything after `hub` (the `order` verb included). Resolves to the exit code. */
export async function orderCommand(argv: readonly string[], loadConfig: LoadConfig, io: CliIo): Promise<number> {
  const parsed = parseVerbArgs(
    argv,
    {
      config: { type: 'string' },
      level: { type: 'string' },
      title: { type: 'string' },
      message: { type: 'string' },
      drill: { type: 'boolean' },
      id: { type: 'string' },
      to: { type: 'string' },
      ttl: { type: 'string' },
      note: { type: 'string' },
      text: { type: 'string' },
      announce: { type: 'boolean' },
      led: { type: 'boolean' },
      section: { type: 'string' },
      file: { type: 'string' },
      by: { type: 'string' },
    },
    io,
    ORDER,
  );
  if (typeof parsed === 'number') return parsed;
  const { values: v, positionals } = parsed;
  const [, what, ...rest] = positionals;
  const common: Omit<IssueRequest, 'kind' | 'body'> = {
    by: v.by ?? `cli:${safeUser()}`,
    ...(v.to === undefined ? {} : { to: v.to.split(',').map((s) => s.trim()).filter((s) => s !== '') }),
  };
  let ttl: number | undefined;
  if (v.ttl !== undefined) {
    if (!/^\d{1,6}$/.test(v.ttl)) return usageError(io, `--ttl ${v.ttl}: minutes, a whole number`);
    ttl = Number(v.ttl) * 60_000;
  }
  let req: IssueRequest;
  switch (what) {
    case 'alarm': {
      if (rest.length > 0) return usageError(io, `order alarm takes no arguments (got ${rest.join(' ')})`);
      if (v.level === undefined || !(ALARM_LEVELS as readonly string[]).includes(v.level)) return usageError(io, `order alarm needs --level ${ALARM_LEVELS.join('|')}`);
      if (v.title === undefined) return usageError(io, 'order alarm needs --title');
      req = {
        ...common,
        kind: 'county_alarm',
        body: { ...(v.id === undefined ? {} : { alertId: v.id }), level: v.level, title: v.title, ...(v.message === undefined ? {} : { message: v.message }), ...(v.drill === true ? { drill: true } : {}) },
      };
      break;
    }
    case 'clear': {
      if (rest.length !== 1) return usageError(io, 'order clear needs one alert id: fenghuo hub order clear ALERT_ID');
      req = { ...common, kind: 'county_clear', body: { alertId: rest[0], ...(v.note === undefined ? {} : { note: v.note }) } };
      break;
    }
    case 'notice': {
      if (rest.length > 0) return usageError(io, `order notice takes no arguments (got ${rest.join(' ')})`);
      if (v.title === undefined || v.text === undefined) return usageError(io, 'order notice needs --title and --text');
      req = { ...common, kind: 'notice', body: { title: v.title, text: v.text, ...(v.announce === true ? { announce: true } : {}), ...(v.led === true ? { led: true } : {}) } };
      break;
    }
    case 'settings': {
      if (rest.length > 0) return usageError(io, `order settings takes no arguments (got ${rest.join(' ')})`);
      if (v.section !== 'alarms' && v.section !== 'dispatch') return usageError(io, 'order settings needs --section alarms|dispatch');
      if (v.file === undefined) return usageError(io, 'order settings needs --file F.json (the whole section)');
      let value: unknown;
      try {
        value = JSON.parse(await readFile(v.file, 'utf8'));
      } catch (err) {
        io.err(`fenghuo hub order: --file ${v.file}: ${err instanceof Error ? err.message : String(err)}`);
        return 2;
      }
      req = { ...common, kind: 'settings', body: { section: v.section, value } };
      break;
    }
    case undefined:
      return usageError(io, 'order needs a kind: alarm, clear, notice or settings');
    default:
      return usageError(io, `unknown order kind "${what}" (alarm, clear, notice or settings)`);
  }
  if (ttl !== undefined) req = { ...req, ttl };

  const cfg = await loadConfig(v.config);
  if (typeof cfg === 'number') return cfg;
  const { key } = loadOrCreateCountyKey(cfg.countyKeyFile, cfg.countyKeyId);
  return withHubStore(cfg, async (store) => {
    try {
      const issued = await issueOrder({ orders: new HubOrderStore(store.sql), countyKey: key, clock: Date.now }, req);
      const alertId = issued.order.kind === 'county_alarm' ? issued.order.body.alertId : undefined;
      io.out(alertId === undefined ? issued.id : `${alertId}\t${issued.id}`);
      io.err(
        `fenghuo hub order: ${issued.order.kind} ${issued.id} (seq ${issued.seq}) for ${issued.order.to === '*' ? 'every box' : issued.order.to.join(', ')}, ` +
          `good until ${new Date(issued.order.expiresAt).toISOString()}, signed with ${key.keyid}`,
      );
      return 0;
    } catch (err) {
      if (err instanceof OrderRequestError) return usageError(io, err.message);
      if (err instanceof OrderIdTaken) {
        io.err(`fenghuo hub order: ${err.message}`);
        return 2;
      }
      throw err;
    }
  });
}

function safeUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
