/** One versioned step of the hub's schema (hub/store/migrations.ts lists them all; feature folders hold their own). */
/**
 * Where the dialects cannot share a statement (SQLite cannot change a table's keys: it rebuilds the table; PostgreSQL
 * alters it in place, keeping its identity sequence), a step gives each its own statements, side by side.
 */
export interface PerDialect {
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
}

export interface MigrationStep {
  /** The schema version after this step: 1, 2, 3… */
  readonly version: number;
  readonly name: string;
  /** Statements, run in order; `{word}` is replaced from WORDS. */
  readonly sql: readonly (string | PerDialect)[];
}
