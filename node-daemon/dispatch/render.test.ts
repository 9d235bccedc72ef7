import { describe, expect, it } from 'vitest';
import { checkNotCivilDefence } from '../../drivers/audio/civil-defence.js';
import { SIREN_CATALOGUE } from '../../drivers/audio/siren-pattern.js';
import { dispatchPlanSchema } from './plan-schema.js';
import { localTime, renderTemplate, unknownPlaceholders } from './render.js';

const ts = Date.parse('2026-07-15T18:05:00Z'); // 02:05 next day in Shanghai

describe('message templates', () => {
  it('fills site, level, local time and value', () => {
    const text = renderTemplate('紧急通知：{site}水位{value}米，已达{level}水位（{time}）', { site: '清水河', level: 'evacuate', ts, timeZone: 'Asia/Shanghai', value: 3.456, drill: false });
    expect(text).toBe('紧急通知：清水河水位3.46米，已达立即转移水位（02:05）');
  });

  it('marks a drill at the start and keeps unknown placeholders visible', () => {
    const text = renderTemplate('{site} {levle}', { site: '清水河', level: 'prepare', ts, timeZone: 'Asia/Shanghai', drill: true });
    expect(text).toBe('【演练】清水河 {levle}');
    expect(unknownPlaceholders('{site} {levle} {time}')).toEqual(['levle']);
  });

  it('shows local time in the configured zone', () => {
    expect(localTime(ts, 'UTC')).toBe('18:05');
    expect(localTime(ts, 'Asia/Shanghai')).toBe('02:05');
  });

  it('the default plans use only known placeholders', () => {
    const plan = dispatchPlanSchema.parse({});
    const templates = [plan.prepare.message, plan.prepare.ledText, plan.evacuate.message, plan.evacuate.ledText, plan.allClear.message, plan.allClear.ledText];
    expect(templates.flatMap(unknownPlaceholders)).toEqual([]);
    expect(plan.evacuate.relays).toContain('siren');
  });
});

describe('default plans and the audio driver', () => {
  it('name siren patterns the driver ships, which pass the civil-defence check', () => {
    const plan = dispatchPlanSchema.parse({});
    for (const name of [plan.prepare.sirenPattern, plan.evacuate.sirenPattern, plan.allClear.sirenPattern]) {
      const pattern = SIREN_CATALOGUE[name as keyof typeof SIREN_CATALOGUE];
      expect(pattern, name).toBeDefined();
      expect(checkNotCivilDefence(pattern).ok).toBe(true);
    }
  });
});
