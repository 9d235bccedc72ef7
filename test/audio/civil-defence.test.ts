import { describe, expect, it } from 'vitest';
import { audibleRuns, checkNotCivilDefence } from '../../drivers/audio/civil-defence.js';
import { SIREN_CATALOGUE, type SirenPattern } from '../../drivers/audio/siren-pattern.js';

const onOff = (onMs: number, offMs: number, repeat: number): SirenPattern => ({
  name: 'test',
  segments: [
    { kind: 'tone', hz: 800, ms: onMs },
    { kind: 'silence', ms: offMs },
  ],
  repeat,
});

describe('checkNotCivilDefence', () => {
  it('accepts every built-in siren', () => {
    for (const p of Object.values(SIREN_CATALOGUE)) expect(checkNotCivilDefence(p), p.name).toEqual({ ok: true });
  });

  it('rejects the pre-warning signal, 36 s on / 24 s off ×3', () => {
    const r = checkNotCivilDefence(onOff(36_000, 24_000, 3));
    expect(r).toMatchObject({ ok: false, signal: 'pre-warning' });
  });

  it('rejects the air-raid signal, 6 s on / 6 s off ×15', () => {
    expect(checkNotCivilDefence(onOff(6_000, 6_000, 15))).toMatchObject({ ok: false, signal: 'air-raid' });
  });

  it('rejects 3 minutes of continuous sound (all clear), even made of many short segments', () => {
    const wail: SirenPattern = { ...SIREN_CATALOGUE.evacuate, repeat: 60 };
    expect(checkNotCivilDefence(wail)).toMatchObject({ ok: false, signal: 'all-clear' });
  });

  it('rejects cadences that approach the air-raid rhythm within ±35 %', () => {
    expect(checkNotCivilDefence(onOff(5_000, 7_000, 2))).toMatchObject({ ok: false, signal: 'air-raid' });
    expect(checkNotCivilDefence(onOff(8_000, 4_500, 3))).toMatchObject({ ok: false, signal: 'air-raid' });
  });

  it('hears pauses under 1 s as part of the sound: a stuttered 6 s burst still counts as "on"', () => {
    const stutter: SirenPattern = {
      name: 'stutter',
      segments: [
        { kind: 'tone', hz: 900, ms: 2_800 },
        { kind: 'silence', ms: 400 },
        { kind: 'tone', hz: 900, ms: 2_800 },
        { kind: 'silence', ms: 6_000 },
      ],
      repeat: 2,
    };
    expect(audibleRuns(stutter).map((r) => [r.on, r.ms])).toEqual([
      [true, 6_000],
      [false, 6_000],
      [true, 6_000],
      [false, 6_000],
    ]);
    expect(checkNotCivilDefence(stutter)).toMatchObject({ ok: false, signal: 'air-raid' });
  });

  it('rejects any uninterrupted sound longer than 20 s (a 36 s burst at −35 % is 23.4 s)', () => {
    const r = checkNotCivilDefence(onOff(21_000, 500, 1));
    expect(r).toMatchObject({ ok: false, signal: 'pre-warning' });
    expect(checkNotCivilDefence(onOff(20_000, 2_000, 1))).toEqual({ ok: true });
  });

  it('accepts rhythms clearly apart from the civil-defence ones', () => {
    expect(checkNotCivilDefence(onOff(3_000, 3_000, 10))).toEqual({ ok: true });
    expect(checkNotCivilDefence(onOff(1_000, 1_500, 20))).toEqual({ ok: true });
    expect(checkNotCivilDefence(onOff(12_000, 2_000, 3))).toEqual({ ok: true });
  });

  it('needs two matching cycles: one 6 s beep is not yet the air-raid rhythm', () => {
    expect(checkNotCivilDefence(onOff(6_000, 6_000, 1))).toEqual({ ok: true });
    expect(checkNotCivilDefence(onOff(6_000, 6_000, 2))).toMatchObject({ ok: false, signal: 'air-raid' });
  });
});
