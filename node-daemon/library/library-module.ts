import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LibraryConfig } from '../../broadcast/library/library-config.js';
import type { Logger } from '../core/log.js';
import type { Clock } from '../core/types.js';
import type { Db } from '../storage/database.js';
import type { ContentRow } from '../sync/content/plan.js';
import { CountyLibrary } from './county-items.js';
import { LibraryService } from './library-service.js';
import { LibraryStore } from './library-store.js';
import { LIBRARY_DIR } from './usb-import.js';

export interface Library {
  readonly store: LibraryStore;
  readonly service: LibraryService;
  /** Keeps the county's items in step with the installed content. */
  readonly module: CountyLibrary;
}

/** The farm-content library on the box: its store, the service the API calls, and the county content watcher. */
export function setUpLibrary(deps: { readonly db: Db; readonly dataDir: string; readonly config: LibraryConfig; readonly log: Logger; readonly clock: Clock; readonly content: { rows(): ContentRow[] } }): Library {
  // Copies an import left half-done when the box stopped: never renamed into place, so nothing refers to them.
  rmSync(join(deps.dataDir, LIBRARY_DIR, '.partial'), { recursive: true, force: true });
  const store = new LibraryStore(deps.db);
  const service = new LibraryService({ store, dataDir: deps.dataDir, config: deps.config, clock: deps.clock, log: deps.log });
  const module = new CountyLibrary({ store, content: deps.content, dataDir: deps.dataDir, clock: deps.clock, log: deps.log, pollMs: deps.config.countyPollMs });
  return { store, service, module };
}
