import type { BreakerState, BusState } from '../core/events.js';
import type { BusCounters } from '../../drivers/modbus/types.js';
import type { Quality } from '../core/types.js';
import type { MediaHealth } from '../media/media-health.js';
import type { UplinksHealth } from '../http/schemas/uplinks.js';
import type { BackupHealth } from '../http/schemas/backup.js';
import type { UpdateHealth } from '../http/schemas/update.js';
import type { CameraHealth } from '../http/schemas/cameras.js';
import type { SmsHealth } from '../sms/sms-types.js';

export interface SensorHealth {
  readonly id: string;
  readonly name?: string;
  readonly bus: string;
  readonly slave: number;
  readonly profile: string;
  readonly critical: boolean;
  /** Quality of the newest reading, or `stale` if the newest good reading is older than staleAfterMs. */
  readonly status: Quality | 'unknown';
  readonly lastReading?: { readonly ts: number; readonly value: number | null; readonly quality: Quality };
  readonly lastGoodTs?: number;
  readonly lastError?: { readonly ts: number; readonly message: string };
  readonly breaker: BreakerState;
}

export interface BusHealth {
  readonly id: string;
  readonly type: 'rtu' | 'tcp';
  readonly endpoint: string;
  readonly state: BusState;
  readonly lastError?: { readonly ts: number; readonly message: string };
  readonly counters: Readonly<BusCounters>;
}

export interface HealthSnapshot {
  readonly status: 'ok' | 'degraded';
  readonly ts: number;
  readonly uptimeS: number;
  readonly version: string;
  readonly buses: readonly BusHealth[];
  readonly sensors: readonly SensorHealth[];
  readonly disk: { readonly path: string; readonly freeBytes: number; readonly totalBytes: number };
  readonly storage: { readonly lastCommitTs?: number; readonly pendingWrites: number; readonly lastError?: string };
  /** The media disk quota: use, free space, evictions, pressure (media/media-quota.ts). */
  readonly media?: MediaHealth;
  /** The SL 651 centre links (uplinks/sl651): absent when none is configured. */
  readonly uplinks?: UplinksHealth;
  /** The daemon's scheduled backups (backup/scheduled-backup.ts): absent when the config has no `backup`. */
  readonly backup?: BackupHealth;
  /** The cameras (camera/camera-module.ts): last picture, last error; absent when none is configured. */
  readonly cameras?: readonly CameraHealth[];
  /** Warning SMS (sms/sms-notifier.ts): transport ready, failures, queue, daily count; absent without `sms`. */
  readonly sms?: SmsHealth;
  /** The last `fenghuo update` (update/update-health.ts): absent when the box was never updated. */
  readonly update?: UpdateHealth;
}
