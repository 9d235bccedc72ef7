// One process of the hub-ingest bench (bench/hub-ingest.ts forks it with an IPC channel): its own event loop and its
// own pool, as one `fenghuo hub` process on the county's PostgreSQL. It builds the bench's workload, keeps the boxes
// it is given, warms up (each box's first request), says `ready`, waits for `go` (so that all processes start
// together), pushes the timed requests and reports what it stored and when it started and ended.
import pg from 'pg';
import { PgHubStore } from '../../hub/store/pg-store.js';
import { bareInsert, POOL, pushTimed, storeIngest, warmUp, workload, type BoxWork, type Request, type Timed } from './hub-ingest-work.js';

export interface WorkerTask {
  readonly mode: 'store' | 'bare';
  readonly connection: pg.PoolConfig;
  readonly requestsPerBox: number;
  /** Indexes into the workload's boxes. */
  readonly boxes: readonly number[];
}

export type WorkerMessage = { readonly type: 'ready' } | { readonly type: 'done'; readonly timed: Timed } | { readonly type: 'failed'; readonly error: string };

function send(m: WorkerMessage): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));
}

async function run(task: WorkerTask): Promise<void> {
  const all = workload(task.requestsPerBox);
  const work = task.boxes.map((i) => all[i]).filter((w): w is BoxWork => w !== undefined);
  const go = new Promise<void>((resolve) => process.on('message', (m: unknown) => (m === 'go' ? resolve() : undefined)));
  let push: (w: BoxWork, r: Request) => Promise<number>;
  let close: () => Promise<void>;
  if (task.mode === 'store') {
    const store = await PgHubStore.open({ connection: { ...task.connection, max: POOL } });
    push = (w, r) => storeIngest(store, w, r);
    close = () => store.close();
  } else {
    const pool = new pg.Pool({ ...task.connection, max: POOL });
    push = (_w, r) => bareInsert((sql, values) => pool.query(sql, values), r);
    close = () => pool.end();
  }
  try {
    await warmUp(work, push);
    await send({ type: 'ready' });
    await go;
    await send({ type: 'done', timed: await pushTimed(work, push) });
  } finally {
    await close();
  }
}

process.once('message', (task: WorkerTask) => {
  run(task).then(
    () => process.disconnect?.(),
    async (err: unknown) => {
      await send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      process.exit(1);
    },
  );
});
