import type { Config, SensorConfig } from '../config/schema.js';
import { CATALOGUE } from './catalogue.js';
import { decodeRegisters } from './decode.js';
import { profileSchema, type Profile, type ProfileInput } from './profile-schema.js';
import { planRead, type ReadPlan } from './read-plan.js';
import { METRE_RESOLUTION } from './units.js';

/** A profile that is unknown, malformed, unreadable in one block, or whose test vectors do not decode as stated. */
export class ProfileError extends Error {
  constructor(
    /** The profile's name (`inline profile of sensor "x"` for inline ones). */
    readonly profileName: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProfileError';
  }
}

/** A profile ready to poll with: its name, parsed form and read plan. */
export interface ResolvedProfile {
  readonly name: string;
  readonly profile: Profile;
  readonly plan: ReadPlan;
}

function sameValue(a: number | null, b: number | null): boolean {
  return a === null || b === null ? a === b : Math.abs(a - b) <= METRE_RESOLUTION;
}

/** Test vectors of a profile that do not decode to what they state, one sentence each (empty when all pass). */
export function testVectorFailures(profile: Profile, plan: ReadPlan = planRead(profile)): string[] {
  const failures: string[] = [];
  for (const [i, v] of profile.testVectors.entries()) {
    const want = v.quality ?? (v.expected === null ? 'stale' : 'good');
    let got: string;
    try {
      const d = decodeRegisters(profile, v.registers, plan);
      if (sameValue(d.value, v.expected) && d.quality === want) continue;
      got = `${String(d.value)} (${d.quality}${d.detail !== undefined ? `: ${d.detail}` : ''})`;
    } catch (err) {
      got = `an error: ${err instanceof Error ? err.message : String(err)}`;
    }
    failures.push(`testVectors[${i}] [${v.registers.join(', ')}] should decode to ${String(v.expected)} (${want}) but gave ${got}`);
  }
  return failures;
}

/** Parses a profile, plans its read and checks its test vectors; throws a ProfileError naming `name` on any problem. */
export function parseProfile(name: string, input: ProfileInput | Profile): ResolvedProfile {
  return parseLabelled(name, `profile "${name}"`, input);
}

function parseLabelled(name: string, label: string, input: ProfileInput | Profile): ResolvedProfile {
  const parsed = profileSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(profile)'}: ${i.message}`).join('; ');
    throw new ProfileError(name, `${label} is not a valid profile: ${issues}`);
  }
  const profile = parsed.data;
  let plan: ReadPlan;
  try {
    plan = planRead(profile);
  } catch (err) {
    throw new ProfileError(name, `${label} cannot be read in one block: ${err instanceof Error ? err.message : String(err)}`);
  }
  const failures = testVectorFailures(profile, plan);
  if (failures.length > 0) throw new ProfileError(name, `${label} fails its own test vectors: ${failures.join('; ')}`);
  return { name, profile, plan };
}

/** Every built-in profile, parsed and checked. Throws a ProfileError on the first bad one. */
export function loadCatalogue(): ReadonlyMap<string, ResolvedProfile> {
  return new Map(Object.entries(CATALOGUE).map(([name, input]) => [name, parseProfile(name, input)]));
}

/**
 * The profile a sensor polls with: a key of the config's `profiles`, a catalogue name, or an inline profile
 * (named `inline profile of sensor "<id>"`). Throws a ProfileError naming the profile when it is unknown or bad.
 */
export function resolveProfile(sensor: Pick<SensorConfig, 'id' | 'profile'>, siteProfiles: Config['profiles'] = {}): ResolvedProfile {
  const ref = sensor.profile;
  if (typeof ref !== 'string') return parseLabelled(`inline profile of sensor "${sensor.id}"`, `the inline profile of sensor "${sensor.id}"`, ref);
  const own = Object.hasOwn(siteProfiles, ref) ? siteProfiles[ref] : undefined;
  if (own !== undefined) return parseProfile(ref, own);
  const builtIn = Object.hasOwn(CATALOGUE, ref) ? CATALOGUE[ref] : undefined;
  if (builtIn !== undefined) return parseProfile(ref, builtIn);
  const ownNames = Object.keys(siteProfiles);
  throw new ProfileError(
    ref,
    `sensor "${sensor.id}" uses profile "${ref}", which is neither a catalogue profile (${Object.keys(CATALOGUE).join(', ')}) nor a key of profiles${ownNames.length > 0 ? ` (${ownNames.join(', ')})` : ''}`,
  );
}

/** A configured sensor with the profile it polls with. */
export interface SensorWithProfile {
  readonly sensor: SensorConfig;
  readonly profile: ResolvedProfile;
}

/** Resolves every sensor's profile (each named profile is parsed once). Throws the first ProfileError. */
export function resolveSensors(config: Pick<Config, 'sensors' | 'profiles'>): SensorWithProfile[] {
  const byName = new Map<string, ResolvedProfile>();
  return config.sensors.map((sensor) => {
    if (typeof sensor.profile !== 'string') return { sensor, profile: resolveProfile(sensor, config.profiles) };
    const known = byName.get(sensor.profile) ?? resolveProfile(sensor, config.profiles);
    byName.set(sensor.profile, known);
    return { sensor, profile: known };
  });
}
