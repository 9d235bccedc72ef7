import type { Observable, Subscription } from 'rxjs';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import type { ButtonPress } from '../inputs/board-inputs.js';
import type { AlarmService } from './store/alarm-service.js';

/**
 * The red push-button on the box (an I/O board input with role manual_alarm): someone who sees the water coming
 * must not need a tablet. A press raises 立即转移 as a manual alarm; it is acknowledged and cleared like any other.
 */
export class ManualButton implements Module {
  readonly name = 'manual-button';
  private sub: Subscription | undefined;

  constructor(
    private readonly presses$: Observable<ButtonPress>,
    private readonly alarms: AlarmService,
    private readonly log: Logger,
  ) {}

  start(): Promise<void> {
    this.sub = this.presses$.subscribe((press) => {
      try {
        this.alarms.raise({
          key: `manual:button:${press.input}`,
          kind: 'manual',
          level: 'evacuate',
          drill: false,
          title: '手动报警按钮 立即转移',
          cause: { rule: 'button', detail: `input ${press.input} pressed` },
          by: `button:${press.input}`,
        });
        this.log.warn({ event: 'alarm.button', input: press.input, at: press.ts }, 'manual alarm button pressed');
      } catch (err) {
        this.log.error({ event: 'alarm.button_failed', input: press.input, err: String(err) }, 'manual alarm button: raise failed');
      }
    });
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.sub?.unsubscribe();
    return Promise.resolve();
  }
}
