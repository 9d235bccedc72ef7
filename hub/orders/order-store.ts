/**
 * The hub's orders (hub_orders, hub_order_cursors; schema in orders-migration.ts) through the plain SQL port, the
 * same statements on SQLite and PostgreSQL.
 */
import type { Order, OrderKind, SignedOrder } from '../../node-daemon/sync/protocol/order-schema.js';
import type { SqlPort, SqlRow } from '../store/sql-port.js';

/** The advisory lock issuing holds on PostgreSQL ("orders" in digits), so seqs become visible in increasing order. */
export const PG_ORDERS_LOCK = 6_718_351_400;

/** An order as the hub keeps it. */
export interface StoredOrder {
  readonly seq: number;
  readonly id: string;
  readonly kind: OrderKind;
  /** `*` or the box ids. */
  readonly to: '*' | readonly string[];
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly by: string;
  /** Hub clock when stored. */
  readonly createdAt: number;
  readonly signed: SignedOrder;
}

/** Where each box is: the `after` it last asked with. */
export interface OrderCursor {
  readonly boxId: string;
  readonly after: number;
  readonly askedAt: number;
}

export class OrderIdTaken extends Error {
  override readonly name = 'OrderIdTaken';
  constructor(readonly orderId: string) {
    super(`an order with id ${orderId} was issued already`);
  }
}

/** `*`, or the ids between commas: `,a,b,` (box ids have no commas), so `LIKE '%,box,%'` finds a box's orders. */
export function targetColumn(to: Order['to']): string {
  return to === '*' ? '*' : `,${to.join(',')},`;
}

export function targetFromColumn(text: string): '*' | string[] {
  return text === '*' ? '*' : text.split(',').filter((s) => s !== '');
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e.code === '23505' || (typeof e.message === 'string' && /UNIQUE constraint failed/.test(e.message));
}

function storedOf(r: SqlRow): StoredOrder {
  return {
    seq: num(r['seq']),
    id: str(r['order_id']),
    kind: str(r['kind']) as OrderKind,
    to: targetFromColumn(str(r['target'])),
    issuedAt: num(r['issued_at']),
    expiresAt: num(r['expires_at']),
    by: str(r['issued_by']),
    createdAt: num(r['created_at']),
    signed: { seq: num(r['seq']), order: str(r['order_text']), keyid: str(r['keyid']), signature: str(r['signature']) },
  };
}

const COLUMNS = 'seq, order_id, kind, target, order_text, keyid, signature, issued_at, expires_at, issued_by, created_at';

export class HubOrderStore {
  constructor(private readonly sql: SqlPort) {}

  /** Stores a signed order; throws OrderIdTaken when its id was issued before. Resolves to its seq. */
  async insert(order: Order, signed: Omit<SignedOrder, 'seq'>, createdAt: number): Promise<number> {
    const insert = {
      sql: `INSERT INTO hub_orders (order_id, kind, target, order_text, keyid, signature, issued_at, expires_at, issued_by, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq`,
      args: [order.id, order.kind, targetColumn(order.to), signed.order, signed.keyid, signed.signature, order.issuedAt, order.expiresAt, order.by, createdAt],
    };
    // PostgreSQL: the seq is taken under the lock and the lock held to the commit, so an order never becomes visible
    // before one with a smaller seq (a box's cursor would pass it). SQLite writers are one at a time anyway.
    const statements = this.sql.dialect === 'postgres' ? [{ sql: 'SELECT pg_advisory_xact_lock($1)', args: [PG_ORDERS_LOCK] }, insert] : [insert];
    try {
      const out = await this.sql.batch(statements);
      const row = out[out.length - 1]?.[0];
      if (row === undefined) throw new Error('hub orders: the insert returned no seq');
      return num(row['seq']);
    } catch (err) {
      if (isUniqueViolation(err)) throw new OrderIdTaken(order.id);
      throw err;
    }
  }

  /**
   * The orders after `after` addressed to `boxId` and not expired by `now`, oldest first, at most `limit`; and `top`,
   * the newest seq of all, read in the same statement (one snapshot), so that skipping to it skips nothing unseen.
   */
  async forBox(boxId: string, after: number, now: number, limit: number): Promise<{ orders: SignedOrder[]; top: number; full: boolean }> {
    const rows = await this.sql.all(
      `SELECT t.top, o.seq, o.order_text, o.keyid, o.signature
         FROM (SELECT COALESCE(MAX(seq), 0) AS top FROM hub_orders) t
         LEFT JOIN (
           SELECT seq, order_text, keyid, signature FROM hub_orders
            WHERE seq > $1 AND expires_at > $2 AND (target = '*' OR target LIKE $3)
            ORDER BY seq LIMIT $4
         ) o ON 1 = 1
        ORDER BY o.seq`,
      [after, now, `%,${boxId},%`, limit],
    );
    const top = num(rows[0]?.['top'] ?? 0);
    const orders = rows
      .filter((r) => r['seq'] !== null && r['seq'] !== undefined)
      .map((r): SignedOrder => ({ seq: num(r['seq']), order: str(r['order_text']), keyid: str(r['keyid']), signature: str(r['signature']) }));
    return { orders, top, full: orders.length >= limit };
  }

  /** The newest seq (0: none yet). */
  async top(): Promise<number> {
    const rows = await this.sql.all('SELECT COALESCE(MAX(seq), 0) AS top FROM hub_orders');
    return num(rows[0]?.['top'] ?? 0);
  }

  /** Notes the `after` a box asked with: it has received every order up to it. */
  async noteCursor(boxId: string, after: number, at: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO hub_order_cursors (box_id, after_seq, asked_at) VALUES ($1, $2, $3)
       ON CONFLICT (box_id) DO UPDATE SET after_seq = excluded.after_seq, asked_at = excluded.asked_at`,
      [boxId, after, at],
    );
  }

  async cursors(): Promise<OrderCursor[]> {
    const rows = await this.sql.all('SELECT box_id, after_seq, asked_at FROM hub_order_cursors ORDER BY box_id');
    return rows.map((r) => ({ boxId: str(r['box_id']), after: num(r['after_seq']), askedAt: num(r['asked_at']) }));
  }

  /** Newest first; `before`: only orders with a smaller seq (paging). */
  async list(opts: { readonly limit: number; readonly before?: number; readonly kind?: OrderKind }): Promise<StoredOrder[]> {
    const rows = await this.sql.all(
      `SELECT ${COLUMNS} FROM hub_orders WHERE seq < $1 AND ($2 = '' OR kind = $2) ORDER BY seq DESC LIMIT $3`,
      [opts.before ?? Number.MAX_SAFE_INTEGER, opts.kind ?? '', opts.limit],
    );
    return rows.map(storedOf);
  }

  async get(id: string): Promise<StoredOrder | undefined> {
    const rows = await this.sql.all(`SELECT ${COLUMNS} FROM hub_orders WHERE order_id = $1`, [id]);
    return rows[0] === undefined ? undefined : storedOf(rows[0]);
  }

  /** The boxes the county has (id, revoked or not): whom a `*` order is for. */
  async boxes(): Promise<{ id: string; revokedAt: number | null }[]> {
    const rows = await this.sql.all('SELECT id, revoked_at FROM hub_boxes ORDER BY id');
    return rows.map((r) => ({ id: str(r['id']), revokedAt: r['revoked_at'] === null || r['revoked_at'] === undefined ? null : num(r['revoked_at']) }));
  }
}
