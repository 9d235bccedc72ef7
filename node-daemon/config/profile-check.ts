import { testVectorFailures } from '../sensing/profiles.js';
import { planRead, type ReadPlan } from '../sensing/read-plan.js';
import type { Profile } from '../sensing/profile-schema.js';
import { makeProblem, type ConfigProblem, type PathSegment } from './problem.js';
import type { Config } from './schema.js';

/**
 * Site and inline profiles must be readable in one block and decode their own test vectors as stated, so a
 * profile typed from a manual is proven before it polls a real gauge. (Catalogue profiles are checked by their tests.)
 */
export function checkProfiles(config: Config): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const [name, profile] of Object.entries(config.profiles)) checkOne(profile, ['profiles', name], out);
  for (const [i, sensor] of config.sensors.entries()) {
    if (typeof sensor.profile !== 'string') checkOne(sensor.profile, ['sensors', i, 'profile'], out);
  }
  return out;
}

function checkOne(profile: Profile, at: readonly PathSegment[], out: ConfigProblem[]): void {
  let plan: ReadPlan;
  try {
    plan = planRead(profile);
  } catch (err) {
    out.push(makeProblem(at, { message: `cannot be read in one block: ${err instanceof Error ? err.message : String(err)}` }));
    return;
  }
  for (const [j, vector] of profile.testVectors.entries()) {
    const [failure] = testVectorFailures({ ...profile, testVectors: [vector] }, plan);
    if (failure === undefined) continue;
    out.push(
      makeProblem([...at, 'testVectors', j], {
        value: `[${vector.registers.join(', ')}]`,
        message: failure.replace(/^testVectors\[0\] /, ''),
        expected: 'test vectors that decode as stated: fix the profile (address, type, order, scale, unit) or the vector',
        messageZh: '测试向量解码结果与期望不符',
      }),
    );
  }
}
