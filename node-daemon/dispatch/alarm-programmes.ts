import type { Programme } from '../../broadcast/station/programme.js';
import type { StandingProgramme } from '../../broadcast/station/station.js';
import type { DesiredProgramme } from './desired.js';

/** Pure: the alarms' programmes as the broadcast station takes them (an alarm at its level, or an all-clear). */
export function standingProgrammes(programmes: readonly DesiredProgramme[]): StandingProgramme[] {
  return programmes.map((p) => ({ programme: stationProgramme(p), signature: p.signature, oneShot: p.oneShot }));
}

function stationProgramme(p: DesiredProgramme): Programme {
  const common = {
    key: p.key,
    about: p.alarmKey,
    sound: { speech: p.message, ...(p.sirenPattern === undefined ? {} : { sirenPattern: p.sirenPattern }) },
    repeat: p.repeat,
    intervalS: p.intervalS,
  };
  return p.level !== null && (p.cls === 'evacuate' || p.cls === 'prepare') ? { ...common, kind: 'alarm', level: p.level } : { ...common, kind: 'all_clear' };
}
