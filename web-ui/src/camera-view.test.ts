import { describe, expect, it } from 'vitest';
import type { AlarmImages, CameraHealth, CameraImage } from './api.js';
import { cameraLine, latestAndStrip, picturesByTransition } from './camera-view.js';

const img = (id: number, ts: number): CameraImage => ({ id, cameraId: 'bridge', siteId: 's', ts, cause: 'schedule', alarmId: null, transitionId: null, bytes: 1, url: `/i/${id}`, thumbUrl: `/i/${id}/thumb` });
const cam = (extra: Partial<CameraHealth>): CameraHealth => ({ id: 'bridge', site: 's', source: 'rtsp', state: 'unknown', consecutiveFailures: 0, faultOpen: false, busy: false, queued: 0, ...extra });

describe('camera view', () => {
  it('shows the newest picture large and the next ones as the strip', () => {
    const { latest, strip } = latestAndStrip([img(1, 10), img(3, 30), img(2, 20), img(4, 5)], 2);
    expect(latest?.id).toBe(3);
    expect(strip.map((i) => i.id)).toEqual([2, 1]);
    expect(latestAndStrip([])).toEqual({ latest: undefined, strip: [] });
  });

  it('says a camera is ok, failed with why, or not tried yet, by its name or id', () => {
    expect(cameraLine(cam({ state: 'ok', name: '桥头', lastOkAt: 5 }))).toEqual({ kind: 'ok', name: '桥头', lastOkAt: 5 });
    expect(cameraLine(cam({ state: 'failed', lastError: { ts: 9, code: 'timeout', message: 'x' }, consecutiveFailures: 3 }))).toEqual({ kind: 'failed', name: 'bridge', code: 'timeout', lastOkAt: undefined, failures: 3 });
    expect(cameraLine(cam({}))).toEqual({ kind: 'unknown', name: 'bridge' });
  });

  it('groups an alarm\'s pictures by transition, before then at then after', () => {
    const a = (id: number, ts: number, role: 'before' | 'at' | 'after', tr: number): AlarmImages['images'][number] => ({ ...img(id, ts), role, linkTransitionId: tr });
    const groups = picturesByTransition([a(5, 50, 'after', 2), a(1, 10, 'before', 2), a(3, 30, 'at', 2), a(7, 70, 'at', 9)]);
    expect(groups.map((g) => [g.transitionId, g.images.map((i) => i.role)])).toEqual([
      [2, ['before', 'at', 'after']],
      [9, ['at']],
    ]);
    expect(groups.map((g) => g.transition)).toEqual([undefined, undefined]);
  });

  it('names each group by its transition when the alarm\'s history is known', () => {
    const a = (id: number, role: 'before' | 'at' | 'after', tr: number): AlarmImages['images'][number] => ({ ...img(id, id), role, linkTransitionId: tr });
    const groups = picturesByTransition([a(1, 'at', 9), a(2, 'at', 2)], [
      { id: 2, type: 'raised', ts: 100 },
      { id: 5, type: 'acknowledged', ts: 150 },
      { id: 9, type: 'escalated', ts: 200 },
    ]);
    expect(groups.map((g) => [g.transitionId, g.transition])).toEqual([
      [2, { type: 'raised', ts: 100 }],
      [9, { type: 'escalated', ts: 200 }],
    ]);
  });
});
