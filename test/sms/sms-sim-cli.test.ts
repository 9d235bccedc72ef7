import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AtSmsModem } from '../../drivers/sms/at-sms-modem.js';
import { runSmsSimCli } from '../../drivers/sms/sim/sms-sim-cli.js';
import { createPtyPair } from '../helpers/socat.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('sms-sim-cli (the simulator driven by JSON lines)', () => {
  it('reports messages as JSON lines and takes commands on its input', async () => {
    const pair = await createPtyPair();
    cleanups.push(() => pair.close());
    const input = new PassThrough();
    const output = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    let buffered = '';
    output.setEncoding('utf8').on('data', (s: string) => {
      buffered += s;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const p of parts) lines.push(JSON.parse(p) as Record<string, unknown>);
    });
    const done = runSmsSimCli(['--path', pair.b, '--pin', '1234'], input, output);
    cleanups.push(async () => {
      input.end();
      await done;
    });
    await waitFor(() => lines.some((l) => l.kind === 'ready'), 'simulator ready');
    const modem = new AtSmsModem({ path: pair.a, pin: '1234', commandTimeoutMs: 1_000, presenceCheckMs: 50 });
    cleanups.push(() => modem.close());

    expect((await modem.send('+8613800138000', '水位超警戒')).ok).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ kind: 'message', message: expect.objectContaining({ text: '水位超警戒' }) }));

    input.write(JSON.stringify({ faults: { cmsOnEveryPdu: 42 } }) + '\n');
    input.write('not json\n');
    await waitFor(() => lines.some((l) => l.kind === 'bad_command'), 'bad command reported');
    expect(await modem.send('+8613800138000', 'x')).toMatchObject({ ok: false, error: { detail: { cms: { code: 42, meaning: 'congestion' } } } });
  });
});
