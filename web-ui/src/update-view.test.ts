import { afterEach, describe, expect, it } from 'vitest';
import type { UpdateHealth } from './api.js';
import { setLang } from './i18n.js';
import { updateLine } from './update-view.js';

function english(on: boolean): void {
  (globalThis as { document?: unknown }).document = { documentElement: {}, title: '' };
  setLang(on ? 'en' : 'zh-CN');
}

const at = Date.UTC(2026, 6, 1, 19, 30);
const rolledBack: UpdateHealth = {
  at,
  finishedAt: at + 130_000,
  kind: 'update',
  fromVersion: '0.1.0',
  toVersion: '0.2.0',
  outcome: 'rolled-back',
  reason: 'fenghuo 0.2.0 not healthy within 120 s: first poll cycle not done: 2 of 2 sensors not polled yet',
};

describe('the last update on the 设备 page', () => {
  afterEach(() => english(false));

  it('says in Chinese that the box went back by itself, with why, as something to look at', () => {
    english(false);
    const line = updateLine(rolledBack);
    expect(line.tone).toBe('warn');
    expect(line.text).toContain('0.1.0 → 0.2.0');
    expect(line.text).toContain('已自动回退');
    expect(line.reason).toContain('not healthy within 120 s');
  });

  it('a success is one quiet line, in English too', () => {
    english(true);
    const line = updateLine({ ...rolledBack, outcome: 'updated', reason: 'healthy after 6 s' });
    expect(line).toEqual({ tone: 'ok', text: expect.stringContaining('updated') as unknown as string });
    expect(line.text).toContain('0.1.0 → 0.2.0');
    expect(line.reason).toBeUndefined();
  });

  it('a manual rollback and an install that failed before a new version was there', () => {
    english(false);
    expect(updateLine({ ...rolledBack, kind: 'manual-rollback', outcome: 'updated', toVersion: '0.1.0', fromVersion: '0.2.0' }).text).toContain('手动回退');
    const failed = updateLine({ at, kind: 'update', fromVersion: '0.1.0', outcome: 'failed', reason: 'not a fenghuo release' });
    expect(failed.tone).toBe('warn');
    expect(failed.text).toContain('0.1.0');
    expect(failed.text).not.toContain('→');
    expect(updateLine({ ...rolledBack, outcome: 'in-progress', finishedAt: undefined }).tone).toBe('info');
  });
});
