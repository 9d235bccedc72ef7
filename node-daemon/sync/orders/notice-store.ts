/** The county's notices on the box (table `notices`, orders-migration.ts), for GET /api/v1/notices. */
import type { Db } from '../../storage/database.js';

export interface Notice {
  /** The order that brought it. */
  readonly id: string;
  readonly title: string;
  readonly text: string;
  readonly announce: boolean;
  readonly led: boolean;
  /** When the county issued it (UTC ms). */
  readonly issuedAt: number;
  /** Shown until then (UTC ms). */
  readonly until: number;
  /** Who at the county issued it. */
  readonly by: string;
  /** When the box received it (box clock). */
  readonly receivedAt: number;
}

interface Row {
  order_id: string;
  title: string;
  text: string;
  announce: number;
  led: number;
  issued_at: number;
  until: number;
  by_name: string;
  received_at: number;
}

const toNotice = (r: Row): Notice => ({
  id: r.order_id,
  title: r.title,
  text: r.text,
  announce: r.announce === 1,
  led: r.led === 1,
  issuedAt: r.issued_at,
  until: r.until,
  by: r.by_name,
  receivedAt: r.received_at,
});

export class NoticeStore {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO notices (order_id, title, text, announce, led, issued_at, until, by_name, received_at)
         VALUES (@id, @title, @text, @announce, @led, @issuedAt, @until, @by, @receivedAt) ON CONFLICT (order_id) DO NOTHING`,
      ),
      current: db.prepare<[number, number], Row>('SELECT * FROM notices WHERE until > ? ORDER BY issued_at DESC, order_id DESC LIMIT ?'),
      all: db.prepare<[number], Row>('SELECT * FROM notices ORDER BY issued_at DESC, order_id DESC LIMIT ?'),
      prune: db.prepare('DELETE FROM notices WHERE until < ?'),
    };
  }

  /** Stores a notice once: false when the order's notice is stored already (it is not shown or read out again). */
  add(n: Notice): boolean {
    return this.stmts.insert.run({ ...n, announce: n.announce ? 1 : 0, led: n.led ? 1 : 0 }).changes === 1;
  }

  /** Newest first; `now` given: only those still shown. */
  list(opts: { readonly now?: number; readonly limit: number }): Notice[] {
    return (opts.now === undefined ? this.stmts.all.all(opts.limit) : this.stmts.current.all(opts.now, opts.limit)).map(toNotice);
  }

  prune(before: number): number {
    return this.stmts.prune.run(before).changes;
  }
}
