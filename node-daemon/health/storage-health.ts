import type { StorageStatus } from '../storage/types.js';

/** What the health snapshot shows about storage; `lastError` is set only while writes are failing. */
export interface StorageHealth {
  readonly lastCommitTs?: number;
  readonly pendingWrites: number;
  readonly lastError?: string;
}

/** Adapts the readings writer's `status()` to the health view: a past error that has since recovered is not shown. */
export function storageHealthFrom(status: StorageStatus): StorageHealth {
  return {
    ...(status.lastCommitTs === null ? {} : { lastCommitTs: status.lastCommitTs }),
    pendingWrites: status.pendingWrites,
    ...(status.ok ? {} : { lastError: status.lastError === null ? 'writes are failing' : `${status.lastError.code}: ${status.lastError.message}` }),
  };
}
