// A scheduled programme on the loudspeakers and an alarm that cuts it: the real station (espeak-ng, sox, ffmpeg
// playing at the programme's own pace into the file sink), the real dispatcher, the alarm service on SQLite, and
// croner reading the schedule.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driverAudio } from '../../broadcast/station/driver-audio.js';
import { stationSchema } from '../../broadcast/station/programme-config.js';
import { ProgrammeAudio } from '../../broadcast/station/programme-audio.js';
import { ScheduledProgrammes } from '../../broadcast/station/scheduled-programmes.js';
import { Station, type SpeakerChange } from '../../broadcast/station/station.js';
import { EmittingAlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { Dispatcher } from '../../node-daemon/dispatch/dispatcher.js';
import { dispatchPlanSchema } from '../../node-daemon/dispatch/plan-schema.js';
import { createApp } from '../../node-daemon/http/app.js';
import { stationViewSchema } from '../../node-daemon/http/schemas/station.js';
import { StatusRegistry } from '../../node-daemon/health/status-registry.js';
import { storageHealthFrom } from '../../node-daemon/health/storage-health.js';
import { configSchema } from '../../node-daemon/config/schema.js';
import { openDatabase } from '../../node-daemon/storage/database.js';
import { SqliteReadingsReader } from '../../node-daemon/storage/readings-reader.js';
import { ReadingsWriter } from '../../node-daemon/storage/readings-writer.js';
import { soxDurationS } from '../audio/sox-measure.js';
import { afterTest, cronAt, dueIn, journal, tempDir, waitFor } from './station-rig.js';

/**
 * How soon an alarm must sound once raised: the bound test/dispatch/dispatcher.test.ts holds the speaker to when an
 * acknowledgement silences it (3 s), the tightest the dispatch tests set on a speaker. Here it covers the cut of the
 * programme, the render of the siren and speech, and the file sink starting.
 */
const ALARM_HEARD_MS = 3_000;
const PROGRAMME_S = 600;

describe('scheduled programmes on the station', () => {
  it('an evacuate alarm raised during a 10-minute scheduled programme is heard within the bound; the programme is cut, logged, and does not resume', async () => {
    const dir = tempDir('fenghuo-station-');
    const content = join(dir, 'content');
    mkdirSync(join(content, 'bulletins'), { recursive: true });
    // The programme: ten minutes of a quiet tone, as the library would hand over a recorded bulletin.
    execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', join(content, 'bulletins', 'price.wav'), 'synth', String(PROGRAMME_S), 'sine', '440', 'vol', '0.2']);
    expect(soxDurationS(join(content, 'bulletins', 'price.wav'))).toBeCloseTo(PROGRAMME_S, 0);
    const sink = join(dir, 'spk-1.wav');

    const log = silentLogger();
    const { db } = openDatabase({ dataDir: dir, log });
    const hub = new EventHub();
    const alarms = new EmittingAlarmService({ store: new AlarmStore(db), hub });
    const j = journal();
    const audioDir = join(dir, 'audio');
    // The amplifier is switched on right before the player starts: when it goes on for the alarm, the alarm is heard.
    const amplifier: { on: boolean; at: number }[] = [];
    const station = new Station({
      speakers: [{ id: 'spk-1', device: `file:${sink}`, rate: 220, amplifierRelay: 'amplifier' }],
      audio: driverAudio({ audioDir }),
      clock: Date.now,
      log: j.log,
      amplifier: (relay, on) => {
        amplifier.push({ on, at: Date.now() });
        return dispatcher.amplifier(relay, on);
      },
    });
    const plans = dispatchPlanSchema.parse({
      prepare: { message: '{site}准备转移', ledText: '{site} 准备转移', repeat: 1, intervalS: 0 },
      // the siren as the built-in plan has it: rendered (sox) at the alarm, since the station's audio cache is new
      evacuate: { sirenPattern: 'evacuate', message: '{site}立即转移', ledText: '{site} 立即转移', repeat: 1, intervalS: 0 },
      allClear: { message: '{site}警报解除', ledText: '{site} 警报解除' },
    });
    const dispatcher: Dispatcher = new Dispatcher({ plans, timeZone: 'Asia/Shanghai', siteNames: { qingshui: '清水河' }, alarms, hub, clock: Date.now, log, relays: {}, station, ledBoards: [] });
    const changes: SpeakerChange[] = [];
    station.change$.subscribe((c) => changes.push(c));

    const due = dueIn(2_000);
    const config = stationSchema.parse({ programmes: [{ id: 'price', title: '每日农产品价格', cron: cronAt(due), timeZone: 'UTC', file: 'bulletins/price.wav' }] });
    const schedule = new ScheduledProgrammes({ programmes: config.programmes, timeZone: 'Asia/Shanghai', contentDir: content, station, clock: Date.now, log: j.log });
    await station.start();
    await dispatcher.start();
    await schedule.start();
    afterTest(async () => {
      await schedule.stop();
      await dispatcher.stop();
      await station.stop();
      hub.complete();
      db.close();
    });
    expect(schedule.status()[0]).toMatchObject({ id: 'price', next: due, last: null });

    // the programme starts on time and plays for a while
    await waitFor(() => changes.some((c) => c.speaker.onAir?.kind === 'scheduled'), 'the scheduled programme on the air', due - Date.now() + 5_000);
    const started = changes.find((c) => c.speaker.onAir?.kind === 'scheduled')!;
    expect(started.at - due).toBeLessThan(1_000);
    expect(started.speaker.onAir).toEqual({ key: 'scheduled:price', kind: 'scheduled', about: null, level: null, title: '每日农产品价格' });
    expect(dispatcher.outputs().speakers[0]).toMatchObject({ state: 'playing', alarmKey: null, level: null });
    expect(schedule.status()[0]!.last).toMatchObject({ due, outcome: 'queued' });
    expect(schedule.status()[0]!.next).toBeGreaterThan(due + 300 * 86_400_000);
    await new Promise((r) => setTimeout(r, 3_000));

    // an evacuate alarm: heard within the bound, cutting the programme
    const raisedAt = Date.now();
    alarms.raise({ key: 'flood:qingshui', kind: 'flood', level: 'evacuate', siteId: 'qingshui', sensorId: 'river', drill: false, title: '清水河站 立即转移', cause: { rule: 'level-evacuate', sensorId: 'river', value: 3.2 } });
    await waitFor(() => changes.some((c) => c.speaker.onAir?.kind === 'alarm'), 'the alarm on the air', 15_000);
    const alarmOn = changes.find((c) => c.speaker.onAir?.kind === 'alarm')!;
    await waitFor(() => amplifier.some((a) => a.on && a.at > raisedAt), 'the amplifier on for the alarm', 15_000);
    const heardAt = amplifier.find((a) => a.on && a.at > raisedAt)!.at;
    console.log(`[station] alarm queued ${alarmOn.at - raisedAt} ms and heard ${heardAt - raisedAt} ms after it was raised (bound ${ALARM_HEARD_MS} ms); the programme had played ${raisedAt - started.at} ms`);
    expect(heardAt - raisedAt).toBeLessThan(ALARM_HEARD_MS);
    // the programme's amplifier hold ended before the alarm's began: one on, one off, then on for the alarm
    expect(amplifier.filter((a) => a.at <= heardAt).map((a) => a.on)).toEqual([true, false, true]);
    expect(alarmOn.speaker.onAir).toMatchObject({ key: 'flood:qingshui', level: 'evacuate', about: 'flood:qingshui' });

    // what the speaker sounded, in the file sink: the programme's heard part, then the whole alarm, nothing after
    await waitFor(() => changes.some((c) => c.outcome === 'played' && c.at > alarmOn.at), 'the alarm played out', 20_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const alarmWav = await new ProgrammeAudio({ audioDir }).render({ sirenPattern: plans.evacuate.sirenPattern!, message: '清水河立即转移', rate: 220 });
    const alarmS = soxDurationS(alarmWav);
    const heardS = existsSync(sink) ? soxDurationS(sink) : 0;
    const programmeHeardS = heardS - alarmS;
    console.log(`[station] file sink: ${programmeHeardS.toFixed(2)} s of the programme, then ${alarmS.toFixed(2)} s of alarm`);
    expect(programmeHeardS).toBeGreaterThan((raisedAt - started.at) / 1000 - 0.5);
    expect(programmeHeardS).toBeLessThan((raisedAt - started.at + ALARM_HEARD_MS) / 1000);

    // not resumed: the speaker stays idle, the file does not grow, the programme is not queued
    expect(station.speakers()[0]).toMatchObject({ state: 'idle', onAir: null });
    expect(station.has('scheduled:price')).toBe(false);
    expect(changes.filter((c) => c.speaker.onAir?.kind === 'scheduled')).toHaveLength(1);
    expect(soxDurationS(sink)).toBe(heardS);

    // and what was cut is in the journal
    const cut = j.of('station.programme_cut');
    expect(cut).toHaveLength(1);
    expect(cut[0]).toMatchObject({ speaker: 'spk-1', key: 'scheduled:price', kind: 'scheduled', title: '每日农产品价格', by: 'flood:qingshui', byKind: 'alarm', resumes: false });
    expect(cut[0]!['playedMs']).toBeGreaterThanOrEqual(raisedAt - started.at);

    // GET /api/v1/station shows the schedule and the queues
    const config0 = configSchema.parse({});
    const writer = new ReadingsWriter({ db, hub, log, batchSize: 10, flushIntervalMs: 50 });
    await writer.start();
    afterTest(() => writer.stop());
    const health = new StatusRegistry({ config: config0, hub, busCounters: new Map(), storageStatus: () => storageHealthFrom(writer.status()), dataDir: dir });
    afterTest(() => health.stop());
    const app = createApp({ sensors: [], health, readings: new SqliteReadingsReader(db), log, station: { view: () => ({ speakers: station.queues(), programmes: schedule.status() }) } });
    const body = stationViewSchema.parse(await (await app.request('/api/v1/station')).json());
    expect(body.speakers).toEqual([{ id: 'spk-1', playing: null, waiting: [] }]);
    expect(body.programmes[0]).toMatchObject({ id: 'price', title: '每日农产品价格', source: { file: 'bulletins/price.wav' }, last: { outcome: 'queued' } });
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(doc.paths['/api/v1/station']).toBeDefined();
  }, 60_000);

  it('a programme due while the last one still plays is not queued twice; a missing file is skipped and logged, never a speaker fault', async () => {
    const dir = tempDir('fenghuo-station-');
    const sink = join(dir, 'spk-1.wav');
    const j = journal();
    const station = new Station({ speakers: [{ id: 'spk-1', device: `file:${sink}`, rate: 220 }], audio: driverAudio({ audioDir: join(dir, 'audio') }), clock: Date.now, log: j.log });
    const changes: SpeakerChange[] = [];
    station.change$.subscribe((c) => changes.push(c));
    // every second: a long typed notice (several seconds of speech) and a file that is not there
    const config = stationSchema.parse({
      programmes: [
        { id: 'notice', title: '通知', cron: '* * * * * *', text: '请注意，今晚有大雨，请沿河群众注意安全。'.repeat(3) },
        { id: 'gone', title: '缺失', cron: '* * * * * *', file: 'nope.wav' },
      ],
    });
    const schedule = new ScheduledProgrammes({ programmes: config.programmes, timeZone: 'Asia/Shanghai', contentDir: join(dir, 'content'), station, clock: Date.now, log: j.log });
    await station.start();
    await schedule.start();
    afterTest(async () => {
      await schedule.stop();
      await station.stop();
    });
    await waitFor(() => j.of('station.programme_skipped').some((l) => l['id'] === 'notice' && l['outcome'] === 'on_air_already'), 'a due time skipped while on the air', 20_000);
    await schedule.stop();
    expect(j.of('station.programme_queued').filter((l) => l['id'] === 'notice').length).toBeGreaterThanOrEqual(1);
    expect(j.of('station.programme_skipped').filter((l) => l['id'] === 'gone').every((l) => l['outcome'] === 'file_missing' && String(l['detail']).endsWith('/content/nope.wav'))).toBe(true);
    expect(j.of('station.programme_queued').some((l) => l['id'] === 'gone')).toBe(false);
    expect(changes.every((c) => c.outcome !== 'failed')).toBe(true);
    expect(schedule.status().find((s) => s.id === 'gone')?.last).toMatchObject({ outcome: 'file_missing' });
  }, 30_000);
});
