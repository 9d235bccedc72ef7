import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backends, title, type Fixture } from './backends.js';

// The plain-SQL port the hub's feature stores use: same text, same answers on both back ends; a batch is one
// transaction (a failing statement undoes the ones before it).
const BACKENDS = await backends();
afterAll(async () => {
  for (const b of BACKENDS) await b.stop();
});

describe.each(BACKENDS.map((b) => [title(b), b] as const))('sql port on %s', (_label, backend) => {
  const skip = backend.skipReason !== undefined;
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.dispose();
    fx = undefined;
  });

  it.skipIf(skip)('runs $n statements, RETURNING rows, and batches all-or-nothing', async () => {
    fx = await backend.fixture();
    const { sql } = await fx.open();
    expect(sql.dialect).toBe(backend.name);
    await sql.run(`CREATE TABLE port_t (k TEXT PRIMARY KEY, n BIGINT NOT NULL)`);
    expect(await sql.run(`INSERT INTO port_t (k, n) VALUES ($1, $2)`, ['a', 1])).toBe(1);
    const returned = await sql.all(`INSERT INTO port_t (k, n) VALUES ($1, $2) RETURNING k, n`, ['b', 2]);
    expect(returned).toEqual([{ k: 'b', n: 2 }]);
    await expect(
      sql.batch([
        { sql: `UPDATE port_t SET n = n + 10 WHERE k = $1`, args: ['a'] },
        { sql: `INSERT INTO port_t (k, n) VALUES ($1, $2)`, args: ['b', 3] },
      ]),
    ).rejects.toThrow();
    const out = await sql.batch([
      { sql: `UPDATE port_t SET n = n + 100 WHERE k = $1`, args: ['a'] },
      { sql: `SELECT k, n FROM port_t ORDER BY k` },
    ]);
    expect(out).toEqual([[], [{ k: 'a', n: 101 }, { k: 'b', n: 2 }]]);
  });
});
