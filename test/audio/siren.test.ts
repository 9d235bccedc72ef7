import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AudioError } from '../../drivers/audio/errors.js';
import { renderSiren } from '../../drivers/audio/siren.js';
import { readWavInfo } from '../../drivers/audio/wav-format.js';
import { envWithoutTools, soxDurationS, soxStat, tempDir } from './sox-measure.js';

describe('renderSiren (sox)', () => {
  it('renders the evacuate wail: 9 s, loud, in the common format', async () => {
    const dir = tempDir('siren');
    const out = join(dir, 'evacuate.wav');
    const r = await renderSiren('evacuate', out);
    expect(r.durationMs).toBe(9_000);
    expect(soxDurationS(out)).toBeCloseTo(9, 1);
    const stat = soxStat(out);
    expect(stat.rms).toBeGreaterThan(0.3);
    expect(stat.maxAmplitude).toBeLessThan(1);
    expect(await readWavInfo(out)).toMatchObject({ rate: 22_050, channels: 1, bits: 16 });
    expect(readdirSync(dir)).toEqual(['evacuate.wav']); // no temporary files left behind
  });

  it('renders the prepare two-tone and a custom pattern with pauses to their described length', async () => {
    const dir = tempDir('siren2');
    const prepare = join(dir, 'prepare.wav');
    await renderSiren('prepare', prepare);
    expect(soxDurationS(prepare)).toBeCloseTo(6, 1);
    expect(soxStat(prepare).rms).toBeGreaterThan(0.3);

    const custom = join(dir, 'custom.wav');
    const r = await renderSiren(
      { name: 'beeps', segments: [{ kind: 'tone', hz: 1000, ms: 250 }, { kind: 'silence', ms: 750 }], repeat: 4, volume: 0.5 },
      custom,
    );
    expect(r.durationMs).toBe(4_000);
    expect(soxDurationS(custom)).toBeCloseTo(4, 1);
    const s = soxStat(custom);
    // A quarter of the time at 0.5 × sine amplitude: RMS ≈ 0.5 × 0.707 × √0.25 ≈ 0.18.
    expect(s.rms).toBeGreaterThan(0.12);
    expect(s.rms).toBeLessThan(0.25);
  });

  it('creates the output folder when it is missing', async () => {
    const out = join(tempDir('siren-dir'), 'a', 'b', 'chime.wav');
    await renderSiren('allClear', out);
    expect(soxDurationS(out)).toBeCloseTo(4.8, 1);
    expect(soxStat(out).rms).toBeGreaterThan(0.2);
  });

  it('refuses a civil-defence cadence before running anything', async () => {
    const dir = tempDir('siren3');
    const out = join(dir, 'airraid.wav');
    const airRaid = { name: 'air-raid', segments: [{ kind: 'tone' as const, hz: 700, ms: 6_000 }, { kind: 'silence' as const, ms: 6_000 }], repeat: 15 };
    // PATH without sox: the refusal must come from validation, not from a failed spawn.
    const err = await renderSiren(airRaid, out, { env: envWithoutTools() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioError);
    expect(err).toMatchObject({ code: 'invalid-pattern' });
    expect((err as Error).message).toMatch(/air-raid/);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects malformed patterns and unknown catalogue names with a clear message', async () => {
    const out = join(tempDir('siren4'), 'x.wav');
    await expect(renderSiren({ name: 'x', segments: [{ kind: 'tone', hz: 20_000, ms: 100 }], repeat: 1 }, out)).rejects.toThrow(
      /segments\.0\.hz/,
    );
    await expect(renderSiren('nope' as 'evacuate', out)).rejects.toThrow(/unknown siren 'nope'.*evacuate/);
  });

  it('says which package to install when sox is missing', async () => {
    const out = join(tempDir('siren5'), 'x.wav');
    const err = await renderSiren('prepare', out, { env: envWithoutTools() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'tool-missing' });
    expect((err as Error).message).toMatch(/sox is not installed.*apt-get install sox/);
  });
});
