import type Database from 'better-sqlite3';

/** One versioned step of the box's schema (storage/migrations.ts lists them all; feature folders hold their own). */
export interface Migration {
  /** The `user_version` the database has after this migration; 1, 2, 3... */
  readonly version: number;
  readonly name: string;
  up(db: Database.Database): void;
}
