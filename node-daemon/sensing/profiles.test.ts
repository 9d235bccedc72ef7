import { describe, expect, it } from 'vitest';
import type { ProfileInput } from './profile-schema.js';
import { ProfileError, resolveProfile } from './profiles.js';

const own: ProfileInput = {
  functionCode: 4,
  addressBase: 1,
  value: { address: 1, type: 'uint16', unit: 'mm' },
  range: { min: 0, max: 10 },
  testVectors: [{ registers: [1500], expected: 1.5 }],
};

describe('resolveProfile', () => {
  it('finds catalogue names, keys of profiles and inline profiles', () => {
    const cat = resolveProfile({ id: 's1', profile: 'submersible-level' });
    expect(cat.name).toBe('submersible-level');
    expect(cat.plan).toMatchObject({ address: 2, count: 3 });

    const site = resolveProfile({ id: 's2', profile: 'my-gauge' }, { 'my-gauge': own as never });
    expect(site).toMatchObject({ name: 'my-gauge', plan: { functionCode: 4, address: 0, count: 1 } });

    const inline = resolveProfile({ id: 's3', profile: own as never });
    expect(inline.name).toBe('inline profile of sensor "s3"');
    expect(inline.profile.value.order).toBe('ABCD');
  });

  it('names an unknown profile and the sensor that uses it', () => {
    const err = (() => {
      try {
        resolveProfile({ id: 'dam', profile: 'radar-level' }, { 'my-gauge': own as never });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ProfileError);
    expect(err).toMatchObject({ profileName: 'radar-level' });
    expect((err as Error).message).toMatch(/sensor "dam" uses profile "radar-level", which is neither a catalogue profile \(.*radar-level-float32.*\) nor a key of profiles \(my-gauge\)/);
  });

  it('refuses a profile whose own test vectors fail, or that cannot be read in one block', () => {
    const wrong = { ...own, testVectors: [{ registers: [1500], expected: 15 }] };
    expect(() => resolveProfile({ id: 's4', profile: wrong as never })).toThrow(
      /inline profile of sensor "s4" fails its own test vectors: testVectors\[0\] \[1500\] should decode to 15 \(good\) but gave 1.5 \(good\)/,
    );
    const far = { ...own, testVectors: [], decimalsRegister: { address: 300, max: 2 } };
    expect(() => resolveProfile({ id: 's5', profile: far as never })).toThrow(/cannot be read in one block: .*span 300 registers/);
  });
});
