import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSink, playWav, type PlayResult } from '../../drivers/audio/player.js';
import { buildProgramme } from '../../drivers/audio/programme.js';
import { renderSiren } from '../../drivers/audio/siren.js';
import { renderSpeech } from '../../drivers/audio/speech.js';
import { envWithoutTools, soxDurationS, soxStat, tempDir } from './sox-measure.js';

let dir: string;
let siren: string; // 6 s two-tone
let beep: string; // 1 s

beforeAll(async () => {
  dir = tempDir('player');
  siren = (await renderSiren('prepare', join(dir, 'prepare.wav'))).path;
  beep = (await renderSiren({ name: 'beep', segments: [{ kind: 'tone', hz: 1000, ms: 1_000 }], repeat: 1 }, join(dir, 'beep.wav'))).path;
});

describe('parseSink', () => {
  it('reads ALSA names and file sinks, refusing anything that could pass as an option', () => {
    expect(parseSink('default')).toEqual({ kind: 'alsa', device: 'default' });
    expect(parseSink('plughw:1,0')).toEqual({ kind: 'alsa', device: 'plughw:1,0' });
    expect(parseSink('file:/var/lib/x.wav')).toEqual({ kind: 'file', path: '/var/lib/x.wav' });
    expect(() => parseSink('-Dfoo')).toThrow(/invalid ALSA device/);
    expect(() => parseSink('default; rm -rf /')).toThrow(/invalid ALSA device/);
    expect(() => parseSink('file:relative.wav')).toThrow(/absolute path/);
  });
});

describe('playWav to the file sink', () => {
  it('writes the programme to the file, then appends the next one', async () => {
    const out = join(tempDir('sink'), 'speaker.wav');
    const calls: string[] = [];
    const hooks = { before: () => void calls.push('relay on'), after: (r: PlayResult) => void calls.push(`relay off (${r.outcome})`) };
    expect(await playWav(siren, { device: `file:${out}`, realtime: false, ...hooks })).toEqual({ outcome: 'played' });
    expect(soxDurationS(out)).toBeCloseTo(6, 1);
    expect(await playWav(beep, { device: `file:${out}`, realtime: false, ...hooks })).toEqual({ outcome: 'played' });
    expect(soxDurationS(out)).toBeCloseTo(7, 1);
    expect(soxStat(out).rms).toBeGreaterThan(0.3);
    expect(calls).toEqual(['relay on', 'relay off (played)', 'relay on', 'relay off (played)']);
    expect(readdirSync(join(out, '..'))).toEqual(['speaker.wav']);
  });

  it('paces a real-time sink like a loudspeaker: the whole second is written', async () => {
    const out = join(tempDir('sink-rt'), 'speaker.wav');
    expect(await playWav(beep, { device: `file:${out}` })).toEqual({ outcome: 'played' });
    expect(soxDurationS(out)).toBeCloseTo(1, 1);
  });

  it('is pre-empted mid-programme: the player is killed, the result is interrupted, the relay goes off', async () => {
    const work = tempDir('long');
    const speech = await renderSpeech('紧急通知：清水河水位已达立即转移水位，请沿河群众立即转移', { cacheDir: join(work, 'cache') });
    const programme = await buildProgramme([siren, speech.path], join(work, 'programme.wav'), { repeat: 3 });
    expect(programme.durationMs).toBeGreaterThan(30_000);

    const out = join(work, 'speaker.wav');
    const preempt = new AbortController();
    const calls: string[] = [];
    const result = await playWav(programme.path, {
      device: `file:${out}`,
      signal: preempt.signal,
      before: () => {
        calls.push('on');
        setTimeout(() => preempt.abort(), 1_500); // a higher-priority alarm arrives
      },
      after: (r) => void calls.push(`off:${r.outcome}`),
    });
    expect(result).toEqual({ outcome: 'interrupted' });
    expect(calls).toEqual(['on', 'off:interrupted']);
    // What went out before the pre-emption is kept, and it is only a part of the programme.
    expect(existsSync(out)).toBe(true);
    const heard = soxDurationS(out);
    expect(heard).toBeGreaterThan(0.2);
    expect(heard * 1000).toBeLessThan(programme.durationMs / 2);
  });

  it('does not start when already pre-empted', async () => {
    const out = join(tempDir('sink-pre'), 'speaker.wav');
    let before = 0;
    const r = await playWav(siren, { device: `file:${out}`, signal: AbortSignal.abort(), before: () => void before++ });
    expect(r).toEqual({ outcome: 'interrupted' });
    expect(before).toBe(0);
    expect(existsSync(out)).toBe(false);
  });

  it('does not start the player when pre-empted while the before hook runs, but calls after', async () => {
    const out = join(tempDir('sink-pre2'), 'speaker.wav');
    const preempt = new AbortController();
    const seen: string[] = [];
    const r = await playWav(siren, {
      device: `file:${out}`,
      signal: preempt.signal,
      before: async () => {
        preempt.abort();
        await new Promise((res) => setTimeout(res, 50));
      },
      after: (res) => void seen.push(res.outcome),
    });
    expect(r).toEqual({ outcome: 'interrupted' });
    expect(seen).toEqual(['interrupted']);
    expect(existsSync(out)).toBe(false);
  });

  it('fails on timeout, and still switches the relay off', async () => {
    const out = join(tempDir('sink-timeout'), 'speaker.wav');
    let after: PlayResult | undefined;
    const r = await playWav(siren, { device: `file:${out}`, timeoutMs: 500, after: (res) => void (after = res) });
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/timed out after 500 ms/);
    expect(after).toEqual(r);
    expect(existsSync(out)).toBe(false);
  });

  it('does not play when the before hook throws, but calls after', async () => {
    const out = join(tempDir('sink-hook'), 'speaker.wav');
    const seen: string[] = [];
    const r = await playWav(beep, {
      device: `file:${out}`,
      before: () => {
        throw new Error('relay stuck');
      },
      after: (res) => void seen.push(res.outcome),
    });
    expect(r).toEqual({ outcome: 'failed', hookError: 'before hook failed: relay stuck' });
    expect(seen).toEqual(['failed']);
    expect(existsSync(out)).toBe(false);
  });

  it('reports a missing ffmpeg clearly', async () => {
    const out = join(tempDir('sink-missing'), 'speaker.wav');
    const r = await playWav(beep, { device: `file:${out}`, env: envWithoutTools() });
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/ffmpeg is not installed.*apt-get install ffmpeg/);
  });

  it('fails cleanly on a file that is not a WAV', async () => {
    const r = await playWav(join(dir, 'nope.wav'), { device: `file:${join(dir, 'o.wav')}` });
    expect(r).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/cannot open WAV/) });
  });
});

describe('playWav to ALSA (aplay)', () => {
  it('reports aplay missing with the package that provides it', async () => {
    const r = await playWav(beep, { device: 'default', env: envWithoutTools() });
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/aplay is not installed.*alsa-utils/);
  });

  it('fails with aplay\'s own words on a sound card that does not exist', async () => {
    const r = await playWav(beep, { device: 'hw:99,0', timeoutMs: 10_000 });
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/^aplay failed .*:/);
  });

  it('refuses an unsafe device string without spawning', async () => {
    const r = await playWav(beep, { device: '--help' });
    expect(r).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/invalid ALSA device/) });
  });
});
