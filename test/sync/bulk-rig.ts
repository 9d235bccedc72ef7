// The options every bulk-upload test gives an uploader (test/sync/backup-upload.test.ts, image-upload.test.ts): the
// enrolled box's keys and hub address, its outbox, no budget, a link always up, and short polls and backoffs.
import type { Db } from '../../node-daemon/storage/database.js';
import type { BulkUploaderOptions } from '../../node-daemon/sync/bulk/uploader-options.js';
import type { Enrolment } from '../../node-daemon/sync/enrol/files.js';
import { OutboxStore } from '../../node-daemon/sync/outbox/outbox-store.js';
import type { captureLogger } from '../storage/storage-helpers.js';

export function bulkTestOptions(enrolment: Enrolment, db: Db, logs: ReturnType<typeof captureLogger>): BulkUploaderOptions {
  return {
    hubUrl: enrolment.record.hub,
    boxKey: enrolment.boxKey,
    countyKey: enrolment.countyKey,
    countyKeyId: enrolment.record.countyKeyId,
    log: logs.log,
    outbox: new OutboxStore({ db }),
    timeZone: 'Asia/Shanghai',
    budget: {},
    offsetMs: () => 0,
    linkState: () => 'up',
    minBackoffMs: 100,
    maxBackoffMs: 500,
    gatePollMs: 50,
    idlePollMs: 100,
    requestTimeoutMs: 10_000,
  };
}
