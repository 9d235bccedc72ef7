import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgramme } from '../../drivers/audio/programme.js';
import { renderSiren } from '../../drivers/audio/siren.js';
import { renderSpeech, speechCacheKey } from '../../drivers/audio/speech.js';
import { envWithoutTools, soxDurationS, soxStat, tempDir } from './sox-measure.js';

const MESSAGE = '紧急通知：清水河水位已达立即转移水位，请沿河群众立即转移';

describe('renderSpeech (espeak-ng, Mandarin)', () => {
  it('speaks the Chinese warning into a non-silent WAV named by its hash', async () => {
    const cacheDir = tempDir('speech');
    const r = await renderSpeech(MESSAGE, { cacheDir });
    expect(r.cached).toBe(false);
    expect(r.path).toBe(join(cacheDir, `${speechCacheKey('cmn', 140, MESSAGE)}.wav`));
    // 26 syllables at 140 wpm take several seconds; a far shorter file would mean the text was lost.
    const seconds = soxDurationS(r.path);
    expect(seconds).toBeGreaterThan(4);
    expect(seconds).toBeLessThan(20);
    expect(r.durationMs / 1000).toBeCloseTo(seconds, 1);
    expect(soxStat(r.path).rms).toBeGreaterThan(0.02);
    expect(readdirSync(cacheDir)).toEqual([`${speechCacheKey('cmn', 140, MESSAGE)}.wav`]);
  });

  it('serves the second render from the cache without running espeak-ng', async () => {
    const cacheDir = tempDir('speech-cache');
    const first = await renderSpeech(MESSAGE, { cacheDir });
    const mtime = statSync(first.path).mtimeMs;
    // With no espeak-ng on PATH a spawn would fail: success proves the cache answered.
    const second = await renderSpeech(MESSAGE, { cacheDir, env: envWithoutTools() });
    expect(second).toEqual({ ...first, cached: true });
    expect(statSync(second.path).mtimeMs).toBe(mtime);
    // A different rate is a different sound, so a different file.
    const faster = await renderSpeech(MESSAGE, { cacheDir, rate: 200 });
    expect(faster.cached).toBe(false);
    expect(faster.path).not.toBe(first.path);
    expect(faster.durationMs).toBeLessThan(first.durationMs);
  });

  it('renders again over a damaged cache file (e.g. emptied by a power cut)', async () => {
    const cacheDir = tempDir('speech-damaged');
    const first = await renderSpeech('解除警报', { cacheDir });
    writeFileSync(first.path, '');
    const again = await renderSpeech('解除警报', { cacheDir });
    expect(again.cached).toBe(false);
    expect(soxStat(again.path).rms).toBeGreaterThan(0.02);
  });

  it('refuses empty text and absurd rates as invalid input', async () => {
    const cacheDir = tempDir('speech-input');
    await expect(renderSpeech('  ', { cacheDir })).rejects.toMatchObject({ code: 'invalid-input' });
    await expect(renderSpeech('撤离', { cacheDir, rate: 5 })).rejects.toMatchObject({ code: 'invalid-input' });
  });

  it('passes text that looks like options or shell as plain words', async () => {
    const cacheDir = tempDir('speech-odd');
    const r = await renderSpeech('--help; $(rm -rf /) 撤离', { cacheDir });
    expect(soxStat(r.path).rms).toBeGreaterThan(0.01);
  });

  it('names the available Mandarin voices when the voice is unknown', async () => {
    const cacheDir = tempDir('speech-voice');
    const err = await renderSpeech(MESSAGE, { cacheDir, voice: 'xx-nonexistent' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'voice-unknown' });
    expect((err as Error).message).toMatch(/no voice 'xx-nonexistent'.*cmn/);
    expect(readdirSync(cacheDir)).toEqual([]); // no half-written file
    await expect(renderSpeech(MESSAGE, { cacheDir, voice: '-w/etc/x' })).rejects.toMatchObject({ code: 'voice-unknown' });
  });

  it('says espeak-ng is missing and which package provides it', async () => {
    const err = await renderSpeech(MESSAGE, { cacheDir: tempDir('speech-missing'), env: envWithoutTools() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'tool-missing' });
    expect((err as Error).message).toMatch(/espeak-ng is not installed.*apt-get install espeak-ng/);
  });
});

describe('buildProgramme (sox)', () => {
  it('joins siren + speech, three times, with pauses', async () => {
    const dir = tempDir('programme');
    const siren = await renderSiren('prepare', join(dir, 'siren.wav'));
    const speech = await renderSpeech(MESSAGE, { cacheDir: join(dir, 'cache') });
    const out = join(dir, 'programme.wav');
    const r = await buildProgramme([siren.path, speech.path], out, { repeat: 3, gapMs: 500 });
    const expected = 3 * (siren.durationMs + speech.durationMs) + 5 * 500;
    expect(r.durationMs).toBeCloseTo(expected, -2);
    expect(soxDurationS(out) * 1000).toBeCloseTo(expected, -2);
    expect(soxStat(out).rms).toBeGreaterThan(0.1);
    expect(readdirSync(dir).sort()).toEqual(['cache', 'programme.wav', 'siren.wav']);
  });
});
