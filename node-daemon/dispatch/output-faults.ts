import type { Logger } from 'pino';
import type { AlarmService } from '../alarms/store/alarm-service.js';

export const OUTPUT_FAULT_PREFIX = 'output_fault:';

/**
 * Raises and clears `output_fault:<id>` alarms, once per change: an output that keeps failing raises once, one that
 * works again clears once. Alarms left open by an earlier run are adopted at start and cleared when the output works.
 */
export class OutputFaults {
  /** Output id → detail of the open fault. */
  private readonly open = new Map<string, string>();

  constructor(
    private readonly alarms: AlarmService,
    private readonly log: Logger,
  ) {}

  /** Takes over the output faults still open in the store (after a restart). */
  adoptOpen(): void {
    for (const a of this.alarms.active()) {
      if (a.kind === 'output_fault' && a.key.startsWith(OUTPUT_FAULT_PREFIX)) this.open.set(a.key.slice(OUTPUT_FAULT_PREFIX.length), a.title);
    }
  }

  isOpen(id: string): boolean {
    return this.open.has(id);
  }

  raise(id: string, title: string, detail: string): void {
    if (this.open.has(id)) return;
    this.open.set(id, detail);
    try {
      this.alarms.raise({ key: OUTPUT_FAULT_PREFIX + id, kind: 'output_fault', level: null, drill: false, title, cause: { detail } });
      this.log.warn({ event: 'dispatch.output_fault', output: id, detail }, title);
    } catch (err) {
      this.open.delete(id);
      this.log.error({ event: 'dispatch.output_fault_not_recorded', output: id, detail, err }, 'could not record an output fault');
    }
  }

  clear(id: string, detail: string): void {
    if (!this.open.has(id)) return;
    try {
      this.alarms.clear({ key: OUTPUT_FAULT_PREFIX + id }, { detail });
      this.open.delete(id);
      this.log.info({ event: 'dispatch.output_fault_cleared', output: id, detail }, 'output works again');
    } catch (err) {
      this.log.error({ event: 'dispatch.output_fault_not_cleared', output: id, err }, 'could not clear an output fault');
    }
  }
}
