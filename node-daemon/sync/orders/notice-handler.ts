/**
 * `notice` orders: stored (GET /api/v1/notices lists them until `until`, default the order's expiry); with
 * `announce`, read out once on every loudspeaker as a county announcement (the dispatcher's `county` class: an alarm
 * pre-empts it, it never interrupts one); with `led`, shown on every LED board until `until` (alarm texts take
 * precedence). Stored once per order id: a notice already stored is neither read out nor shown again.
 */
import type { Clock } from '../../core/types.js';
import type { AnnounceRequest } from '../../../broadcast/station/station.js';
import type { ShowTextRequest } from '../../dispatch/dispatcher.js';
import type { OrderOf } from '../protocol/order-schema.js';
import type { OrderHandler } from './handler.js';
import type { NoticeStore } from './notice-store.js';

/** What the notice needs of the dispatcher. */
export interface NoticeOutputs {
  announce(req: AnnounceRequest): { readonly speakers: readonly string[] };
  showText(req: ShowTextRequest): { readonly boards: readonly string[] };
}

/** An LED notice stays at most this long (the board then shows it again on the next notice or not at all). */
const MAX_LED_MINUTES = 7 * 24 * 60;

export function noticeHandler(deps: { readonly notices: NoticeStore; readonly outputs?: NoticeOutputs; readonly clock: Clock }): OrderHandler<'notice'> {
  return async (order: OrderOf<'notice'>) => {
    const b = order.body;
    const now = deps.clock();
    const until = b.until ?? order.expiresAt;
    const fresh = deps.notices.add({
      id: order.id,
      title: b.title,
      text: b.text,
      announce: b.announce === true,
      led: b.led === true,
      issuedAt: order.issuedAt,
      until,
      by: order.by,
      receivedAt: now,
    });
    if (!fresh) return { status: 'applied', detail: 'notice stored already' };
    const done: string[] = ['stored'];
    const problems: string[] = [];
    const who = `county:${order.by}`;
    if (b.announce === true) {
      try {
        const r = deps.outputs?.announce({ text: `${b.title}。${b.text}`, account: 'county', by: who });
        done.push(r === undefined || r.speakers.length === 0 ? 'no loudspeaker to read it out' : `read out on ${r.speakers.join(', ')}`);
      } catch (err) {
        problems.push(`not read out: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (b.led === true && until > now) {
      try {
        const minutes = Math.max(1, Math.min(MAX_LED_MINUTES, Math.ceil((until - now) / 60_000)));
        const r = deps.outputs?.showText({ text: `${b.title} ${b.text}`, minutes, account: 'county', by: who });
        done.push(r === undefined || r.boards.length === 0 ? 'no LED board to show it' : `shown on ${r.boards.join(', ')}`);
      } catch (err) {
        problems.push(`not shown: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    // Stored and listed whatever the outputs did: the notice is applied; what failed is said.
    return { status: 'applied', detail: [...done, ...problems].join('; ') };
  };
}
