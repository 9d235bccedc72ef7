/**
 * Plain SQL for the hub's feature stores (orders, content, accounts, pull targets): each feature keeps its own
 * statements beside its own code, written once with PostgreSQL's `$n` placeholders, and runs them through this port on
 * whichever back end the hub was started with (the SQLite store rewrites `$n` to named parameters). The record feed's
 * ingest, with its row locks and bulk inserts, stays in the stores themselves.
 *
 * No interleaving: a SQLite transaction must not span an `await`, so a transaction here is a fixed list of statements
 * (`batch`), not a callback. A statement whose result a later one needs goes in one statement (CTE, RETURNING,
 * INSERT … SELECT) or in two batches with a unique key deciding races.
 */
export type Param = string | number | null;
export type SqlRow = Record<string, unknown>;

export interface SqlStatement {
  readonly sql: string;
  readonly args?: readonly Param[];
}

export interface SqlPort {
  readonly dialect: 'sqlite' | 'postgres';
  /** The rows of one statement (a SELECT, or a write with RETURNING). */
  all(sql: string, args?: readonly Param[]): Promise<SqlRow[]>;
  /** One write; resolves to the number of rows it changed. */
  run(sql: string, args?: readonly Param[]): Promise<number>;
  /** The statements in order in ONE transaction (all or none); each statement's rows (empty for plain writes). */
  batch(statements: readonly SqlStatement[]): Promise<SqlRow[][]>;
}
