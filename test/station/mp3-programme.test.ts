// Scheduled programmes from MP3 files and due times missed while the daemon was down: the real station (ffmpeg decoding
// the MP3 at low priority, ffmpeg playing at the programme's own pace into the file sink, sox appending), croner reading
// the schedule, and for the restart the real daemon (compose.ts) on SQLite.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driverAudio } from '../../broadcast/station/driver-audio.js';
import { beijingTime } from '../../broadcast/station/missed-due.js';
import { stationSchema } from '../../broadcast/station/programme-config.js';
import { ProgrammeAudio } from '../../broadcast/station/programme-audio.js';
import { ScheduledProgrammes, type ScheduledProgrammesOptions } from '../../broadcast/station/scheduled-programmes.js';
import { Station, type SpeakerChange } from '../../broadcast/station/station.js';
import { readWavInfo } from '../../drivers/audio/wav-format.js';
import { buildDaemon, type Daemon } from '../../node-daemon/compose.js';
import { parseConfigText } from '../../node-daemon/config/load.js';
import { stationViewSchema } from '../../node-daemon/http/schemas/station.js';
import { captureLogger } from '../storage/storage-helpers.js';
import { afterTest, cronAt, dueIn, journal, tempDir, waitFor, type Journal } from './station-rig.js';

/** A real MP3 (stereo, 44.1 kHz, as a county recording comes) of a sine tone, made by ffmpeg. */
function makeMp3(path: string, hz: number, seconds: number): void {
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-f', 'lavfi', '-i', `sine=frequency=${hz}:sample_rate=44100:duration=${seconds}`,
    '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '96k', '-y', path,
  ]);
}

/** Length and rough frequency of a WAV as `sox stat` measures them. */
function measure(path: string): { lengthS: number; hz: number } {
  const r = spawnSync('sox', [path, '-n', 'stat'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sox stat failed: ${r.stderr}`);
  const field = (label: string): number => Number(new RegExp(`^${label}:\\s+(-?[0-9.]+)`, 'm').exec(r.stderr)?.[1]);
  return { lengthS: field('Length \\(seconds\\)'), hz: field('Rough\\s+frequency') };
}

/** The station and its schedule started (Beijing time), both stopped after the test. */
async function startSchedule(o: Pick<ScheduledProgrammesOptions, 'programmes' | 'contentDir' | 'station' | 'log' | 'files'> & { station: Station }): Promise<ScheduledProgrammes> {
  const schedule = new ScheduledProgrammes({ ...o, timeZone: 'Asia/Shanghai', clock: Date.now });
  await o.station.start();
  await schedule.start();
  afterTest(async () => {
    await schedule.stop();
    await o.station.stop();
  });
  return schedule;
}

function stationIn(dir: string, j: Journal) {
  const sink = join(dir, 'spk-1.wav');
  const audio = driverAudio({ audioDir: join(dir, 'audio') });
  const station = new Station({ speakers: [{ id: 'spk-1', device: `file:${sink}`, rate: 220 }], audio, clock: Date.now, log: j.log });
  const changes: SpeakerChange[] = [];
  station.change$.subscribe((c) => changes.push(c));
  return { sink, audio, station, changes };
}

describe('programme files that are not WAV', () => {
  it('an MP3 bulletin is converted at start (before its due time) and heard on time on the speaker: its length and tone', async () => {
    const dir = tempDir('fenghuo-station-mp3-');
    const content = join(dir, 'content');
    mkdirSync(join(content, 'bulletins'), { recursive: true });
    makeMp3(join(content, 'bulletins', 'price.mp3'), 660, 3);
    const j = journal();
    const { sink, audio, station, changes } = stationIn(dir, j);

    const due = dueIn(5_000);
    const config = stationSchema.parse({ programmes: [{ id: 'price', title: '每日农产品价格', cron: cronAt(due), timeZone: 'UTC', file: 'bulletins/price.mp3' }] });
    const schedule = await startSchedule({ programmes: config.programmes, contentDir: content, station, log: j.log, files: audio });

    // converted ahead of the due time, into the audio dir, in the player's format
    await waitFor(() => j.of('station.programme_file_ready').length > 0, 'the MP3 converted at start', 20_000);
    const ready = j.of('station.programme_file_ready')[0]!;
    console.log(`[station] MP3 converted in ${String(ready['ms'])} ms, ${due - Number(ready['t'])} ms before its due time`);
    expect(ready).toMatchObject({ id: 'price', file: join(content, 'bulletins', 'price.mp3') });
    expect(String(ready['wav'])).toMatch(new RegExp(`^${join(dir, 'audio', 'decoded')}/[0-9a-f]{16}-[0-9a-f]{16}\\.wav$`));
    expect(Number(ready['t'])).toBeLessThan(due);
    const info = await readWavInfo(String(ready['wav']));
    expect(info).toMatchObject({ rate: 22_050, channels: 1, bits: 16 });
    expect(info.durationMs).toBeGreaterThan(2_900);
    expect(info.durationMs).toBeLessThan(3_200);
    // nothing but the finished file in the cache folder
    expect(readdirSync(join(dir, 'audio', 'decoded'))).toEqual([String(ready['wav']).split('/').pop()]);

    // on the air on time, played out whole
    await waitFor(() => changes.some((c) => c.speaker.onAir?.kind === 'scheduled'), 'the MP3 programme on the air', due - Date.now() + 15_000);
    const started = changes.find((c) => c.speaker.onAir?.kind === 'scheduled')!;
    expect(started.at - due).toBeLessThan(1_500);
    expect(started.speaker.onAir).toMatchObject({ key: 'scheduled:price', title: '每日农产品价格' });
    await waitFor(() => changes.some((c) => c.outcome === 'played'), 'the MP3 programme played out', 30_000);
    expect(schedule.status()[0]!.last).toMatchObject({ due, outcome: 'queued' });
    expect(j.of('station.programme_failed')).toEqual([]);

    // what the speaker sounded: 3 s of a 660 Hz tone
    const heard = measure(sink);
    console.log(`[station] the speaker sounded ${heard.lengthS.toFixed(3)} s at about ${heard.hz} Hz (the MP3: 3 s of 660 Hz)`);
    expect(heard.lengthS).toBeGreaterThan(2.8);
    expect(heard.lengthS).toBeLessThan(3.3);
    expect(Math.abs(heard.hz - 660)).toBeLessThan(40);
  }, 90_000);

  it('a corrupt MP3: station.programme_failed with the file and ffmpeg\'s last line at its due time, shown as failed, nothing plays', async () => {
    const dir = tempDir('fenghuo-station-mp3-');
    const content = join(dir, 'content');
    mkdirSync(content, { recursive: true });
    writeFileSync(join(content, 'bad.mp3'), 'this is not audio, a download cut short\n'.repeat(400));
    const j = journal();
    const { sink, audio, station, changes } = stationIn(dir, j);

    const due = dueIn(3_000);
    const config = stationSchema.parse({ programmes: [{ id: 'bad', title: '坏文件', cron: cronAt(due), timeZone: 'UTC', file: 'bad.mp3' }] });
    const schedule = await startSchedule({ programmes: config.programmes, contentDir: content, station, log: j.log, files: audio });

    // told at start already
    await waitFor(() => j.of('station.programme_file_unreadable').length > 0, 'the corrupt file reported at start', 20_000);
    expect(j.of('station.programme_file_unreadable')[0]).toMatchObject({ id: 'bad', file: join(content, 'bad.mp3') });

    await waitFor(() => j.of('station.programme_failed').length > 0, 'station.programme_failed at the due time', due - Date.now() + 20_000);
    const failed = j.of('station.programme_failed')[0]!;
    console.log(`[station] corrupt MP3: ${JSON.stringify(failed)}`);
    expect(failed).toMatchObject({ id: 'bad', title: '坏文件', due, outcome: 'failed', file: join(content, 'bad.mp3') });
    expect(typeof failed['error']).toBe('string');
    expect(String(failed['error'])).not.toContain('\n');
    expect(String(failed['error'])).toMatch(/bad\.mp3|Invalid|invalid/);
    expect(Number(failed['t'])).toBeGreaterThanOrEqual(due);

    // GET /api/v1/station's shape shows it failed, with ffmpeg's line
    const view = stationViewSchema.parse({ speakers: station.queues(), programmes: schedule.status() });
    expect(view.programmes[0]!.last).toMatchObject({ due, outcome: 'failed', detail: failed['error'] });

    // nothing played, no speaker fault, nothing queued, no half conversion left
    await new Promise((r) => setTimeout(r, 1_500));
    expect(changes).toEqual([]);
    expect(existsSync(sink)).toBe(false);
    expect(station.has('scheduled:bad')).toBe(false);
    expect(j.of('station.programme_queued')).toEqual([]);
    expect(existsSync(join(dir, 'audio', 'decoded')) ? readdirSync(join(dir, 'audio', 'decoded')) : []).toEqual([]);
  }, 60_000);

  it('a file that changed is converted again (the old conversion removed); a corrupt one replaced by a good one plays', async () => {
    const dir = tempDir('fenghuo-station-mp3-');
    const audio = new ProgrammeAudio({ audioDir: join(dir, 'audio') });
    const mp3 = join(dir, 'notice.mp3');
    makeMp3(mp3, 440, 1);
    const first = await audio.decoded(mp3);
    expect(await audio.decoded(mp3)).toBe(first);
    expect(Math.abs(measure(first).hz - 440)).toBeLessThan(40);

    // the library replaces the file: another tone, another length
    makeMp3(mp3, 880, 2);
    const second = await audio.decoded(mp3);
    expect(second).not.toBe(first);
    expect(existsSync(first)).toBe(false);
    expect(Math.abs(measure(second).hz - 880)).toBeLessThan(40);
    expect(measure(second).lengthS).toBeCloseTo(2, 1);

    // a corrupt download fails (and is not tried again while unchanged); the good file after it converts
    writeFileSync(mp3, Buffer.alloc(5_000, 0x41));
    await expect(audio.decoded(mp3)).rejects.toMatchObject({ code: 'tool-failed' });
    await expect(audio.decoded(mp3)).rejects.toMatchObject({ code: 'tool-failed' });
    makeMp3(mp3, 550, 1);
    const third = await audio.decoded(mp3);
    expect(Math.abs(measure(third).hz - 550)).toBeLessThan(40);
    expect(readdirSync(join(dir, 'audio', 'decoded'))).toEqual([third.split('/').pop()]);
  }, 60_000);
});

/** The real daemon on `dir` with `config` (the config file as an object), not started. */
function daemonIn(dir: string, config: unknown): { daemon: Daemon; logs: ReturnType<typeof captureLogger> } {
  const parsed = parseConfigText(JSON.stringify(config));
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('; '));
  const logs = captureLogger();
  return { daemon: buildDaemon({ config: parsed.config, dataDir: dir, listen: '127.0.0.1:0', log: logs.log, clock: Date.now }), logs };
}

describe('due times missed while the daemon was down', () => {
  it('after a restart, a due time that fell while the daemon was stopped is logged as missed (UTC ms and Beijing time) and not played', async () => {
    const dir = tempDir('fenghuo-station-mp3-');
    const sink = join(dir, 'spk-1.wav');
    const due = dueIn(10_000);
    const config = {
      outputs: { speakers: [{ id: 'spk-1', device: `file:${sink}`, rate: 220 }] },
      station: { programmes: [{ id: 'price', title: '每日农产品价格', cron: cronAt(due), timeZone: 'UTC', text: '今日农产品价格。' }] },
    };

    // first run: a new box has no mark, so nothing is missed; the stop leaves the mark
    const first = daemonIn(dir, config);
    await first.daemon.start();
    await first.daemon.stop();
    const stoppedAt = Date.now();
    expect(stoppedAt, 'the first daemon must be stopped before the due time (machine too slow?)').toBeLessThan(due);
    expect(first.logs.events('station.schedule_started')).toHaveLength(1);
    expect(first.logs.events('station.programme_missed')).toEqual([]);

    // down over the due time
    await waitFor(() => Date.now() > due + 500, 'the due time to pass', due - Date.now() + 5_000);

    const second = daemonIn(dir, config);
    let secondStopped = false;
    afterTest(async () => {
      if (!secondStopped) await second.daemon.stop();
    });
    await second.daemon.start();
    const missed = second.logs.events('station.programme_missed');
    console.log(`[station] after the restart: ${JSON.stringify(missed)}`);
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ level: 'warn', id: 'price', title: '每日农产品价格', due, dueBeijing: beijingTime(due), dueUtc: new Date(due).toISOString(), timeZone: 'UTC' });
    expect(Number(missed[0]!['lastRunning'])).toBeGreaterThanOrEqual(stoppedAt - 5_000);
    expect(Number(missed[0]!['lastRunning'])).toBeLessThanOrEqual(stoppedAt);
    expect(second.logs.events('station.programme_missed_summary')).toEqual([]);
    // shown in the station view as missed
    const schedule = second.daemon.modules.find((m) => m.name === 'station-schedule') as ScheduledProgrammes;
    expect(schedule.status()[0]!.last).toMatchObject({ due, outcome: 'missed' });

    // not played late
    await new Promise((r) => setTimeout(r, 2_000));
    expect(second.logs.events('station.programme_queued')).toEqual([]);
    expect(second.logs.events('station.speaker_playing')).toEqual([]);
    expect(existsSync(sink)).toBe(false);

    // a third start right after: nothing new was missed, the old one is not logged again
    await second.daemon.stop();
    secondStopped = true;
    const third = daemonIn(dir, config);
    afterTest(() => third.daemon.stop());
    await third.daemon.start();
    expect(third.logs.events('station.programme_missed')).toEqual([]);
  }, 90_000);
});
