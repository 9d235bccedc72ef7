// The county hub's read API for tests: the real app (hub/http/app.ts) on the real server (hub/http/server.ts) on a
// free loopback port, over a store of either back end (test/hub/backends.ts); boxes enrolled through the real
// enrolment route and records pushed through the real ingest route, signed and compressed as a box sends them.
import { execFileSync } from 'node:child_process';
import { createLogger } from '../../node-daemon/core/log.js';
import { generateEnrolCode } from '../../node-daemon/sync/enrol/code.js';
import { publicKeyToRaw, SigningKey } from '../../node-daemon/sync/protocol/index.js';
import type { HubCapConfig } from '../../hub/cap/cap-config.js';
import { createHubApp } from '../../hub/http/app.js';
import { MemoryNonceStore } from '../../hub/http/nonce-store.js';
import { hubServer } from '../../hub/http/server.js';
import type { HubStore, LaneMarks } from '../../hub/store/types.js';
import type { BoxSim } from './box-sim.js';
import { ZERO } from './box-sim.js';
import { boxRequest, send } from './http/hub-fixture.js';

export interface ApiHub {
  readonly url: string;
  readonly store: HubStore;
  readonly countyKey: SigningKey;
  readonly operations: string[];
  close(): Promise<void>;
}

export async function startApiHub(store: HubStore, opts: { cap?: HubCapConfig; readTokenSha256?: string } = {}): Promise<ApiHub> {
  const countyKey = SigningKey.generate('county-test');
  const log = createLogger({ level: 'warn', destination: { write: () => undefined } });
  const { app, limits, api } = createHubApp({
    store,
    countyKey,
    nonces: new MemoryNonceStore(Date.now),
    log,
    ...(opts.cap === undefined ? {} : { cap: opts.cap }),
    ...(opts.readTokenSha256 === undefined ? {} : { readTokenSha256: opts.readTokenSha256 }),
  });
  const server = hubServer({ app, listen: '127.0.0.1:0', log, limits });
  await server.start();
  return { url: server.url(), store, countyKey, operations: api.operations(), close: () => server.stop() };
}

/** Enrols `boxId` with a one-time code over HTTP; returns its key. */
export async function enrol(hub: ApiHub, boxId: string, name?: string): Promise<SigningKey> {
  const code = generateEnrolCode(boxId);
  const now = Date.now();
  await hub.store.createEnrolmentCode({ code: code.canonical, createdAt: now, expiresAt: now + 3_600_000 });
  const key = SigningKey.generate(boxId);
  const res = await fetch(`${hub.url}/api/v1/sync/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: code.canonical, boxId, publicKey: publicKeyToRaw(key.publicKey), ...(name === undefined ? {} : { name }) }),
  });
  if (res.status !== 200) throw new Error(`enrol ${boxId}: ${res.status} ${await res.text()}`);
  return key;
}

/** Pushes everything the simulated box logged, `perLane` records per lane per request, until the hub acks it all. */
export async function pushAll(hub: ApiHub, boxId: string, key: SigningKey, sim: BoxSim, perLane = 50, dbId = `db-${boxId}`): Promise<LaneMarks> {
  let cursor: LaneMarks = ZERO;
  const want = sim.finalMarks();
  for (let i = 0; i < 10_000; i += 1) {
    if ((Object.keys(want) as (keyof LaneMarks)[]).every((l) => cursor[l] >= want[l])) return cursor;
    const req = await boxRequest(hub.url, key, { box: boxId, dbId, lanes: sim.request(cursor, perLane) });
    const answer = await send(hub, req);
    if (answer.status !== 200 || answer.json.acked === undefined) throw new Error(`ingest ${answer.status}: ${JSON.stringify(answer.json)}`);
    cursor = answer.json.acked as LaneMarks;
  }
  throw new Error('pushAll did not converge');
}

/** Why xmllint (Debian libxml2-utils) cannot be used here, or undefined when it can. */
export function xmllintMissing(): string | undefined {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'xmllint not found (Debian package libxml2-utils; test/setup/ensure-system-deps.mjs installs it as root)';
  }
}
