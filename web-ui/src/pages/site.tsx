import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get, type Aggregates, type Alarm, type Readings } from '../api.js';
import { clip, eventWindow, LOOKBACK_MS } from '../chart-range.js';
import { LevelChart, type ChartSeries } from '../components/chart.js';
import { Card, ErrorBox, LevelChip, Notice } from '../components/ui.js';
import { formatTime, metreUnit, num } from '../format.js';
import { t, type MsgKey } from '../i18n.js';
import { useStore } from '../store.js';
import { Disconnected, LevelBar, ReadingLine, sensorView, siteValue, useNow } from './overview.js';
import { SitePictures } from './camera-pictures.js';

const RANGES = [
  { key: '6h', ms: 6 * 3_600_000 },
  { key: '24h', ms: 24 * 3_600_000 },
  { key: '7d', ms: 7 * 86_400_000 },
  { key: '30d', ms: 30 * 86_400_000 },
] as const;
type RangeKey = (typeof RANGES)[number]['key'];
/** What the chart shows: a fixed range, or `auto` (the current event, else the last 6 h). */
type Choice = RangeKey | 'auto';
const DAY = 86_400_000;

/** When the site's open flood alarm was raised; undefined when it has none. */
export function openFloodSince(alarms: readonly Alarm[], siteId: string): number | undefined {
  let since: number | undefined;
  for (const a of alarms) {
    if (a.kind !== 'flood' || a.state === 'cleared' || (a.siteId !== siteId && a.key !== `flood:${siteId}`)) continue;
    if (since === undefined || a.raisedAt < since) since = a.raisedAt;
  }
  return since;
}

/** Raw readings up to 24 h (following `nextFrom` for a few pages), 15-minute means beyond. */
async function loadSeries(sensorId: string, label: string, from: number, to: number, aggregated: boolean): Promise<ChartSeries> {
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  let start = from;
  for (let page = 0; page < 5; page++) {
    const q = `/sensors/${encodeURIComponent(sensorId)}/readings?from=${start}&to=${to}&limit=10000${aggregated ? '&resolution=15m' : ''}`;
    if (aggregated) {
      const body = await get<Aggregates>(q);
      for (const a of body.aggregates) {
        xs.push(a.bucket / 1000);
        ys.push(a.mean);
      }
      if (!body.truncated || body.nextFrom === undefined) break;
      start = body.nextFrom;
    } else {
      const body = await get<Readings>(q);
      for (const r of body.readings) {
        xs.push(r.ts / 1000);
        ys.push(r.quality === 'out_of_range' || r.quality === 'comm_fail' ? null : r.value);
      }
      if (!body.truncated || body.nextFrom === undefined) break;
      start = body.nextFrom;
    }
  }
  return { label, xs, ys };
}

export function SitePage(props: { id: string }): JSX.Element {
  const s = useStore();
  // Opens on the current event (a fresh rise is not a sliver at the edge of 24 h); the buttons pick a fixed range.
  const [range, setRange] = useState<Choice>('auto');
  const [series, setSeries] = useState<readonly ChartSeries[] | undefined>(undefined);
  const [window_, setWindow] = useState<{ from: number; to: number; event: boolean }>({ from: 0, to: 0, event: false });
  const [error, setError] = useState<unknown>(undefined);
  // Whether the automatic choice found an event: then 本次过程 stays offered beside the fixed ranges.
  const [eventSeen, setEventSeen] = useState(false);
  const site = s.sites !== null && s.sites !== undefined ? s.sites.filter((x) => x.id === props.id)[0] : undefined;
  // Where the daemon serves no /sites (404: an app built without its sites source), a sensor id works as a one-sensor site.
  const sensorOnly = site === undefined && s.health !== undefined ? s.health.sensors.filter((x) => x.id === props.id)[0] : undefined;
  const sensorIds = site !== undefined ? site.sensors.map((x) => x.id).join(',') : sensorOnly !== undefined ? sensorOnly.id : '';
  // The chart reloads when the sensors or their names change (the site list may arrive after the health).
  const sensorKey = site !== undefined ? site.sensors.map((x) => `${x.id}:${x.name}`).join(',') : sensorIds;
  const live = range === 'auto' || range === '6h' || range === '24h';
  // Short ranges follow live readings, at most twice a minute.
  const tick = live ? Math.floor(s.readingTick / 15) : 0;
  const alarmSince = openFloodSince(s.activeAlarms, props.id);
  const now = useNow(1000);

  useEffect(() => {
    if (sensorIds === '') return;
    let cancelled = false;
    const r = RANGES.filter((x) => x.key === range)[0];
    const to = Date.now();
    // Automatic: the last 24 h (or back to well before an older open alarm) to find the event in.
    const from = range === 'auto' ? Math.min(to - DAY, alarmSince !== undefined ? alarmSince - LOOKBACK_MS : to) : to - (r !== undefined ? r.ms : DAY);
    const aggregated = range === '7d' || range === '30d' || (range === 'auto' && to - from > 2 * DAY);
    const names: Record<string, string> = {};
    if (site !== undefined) site.sensors.forEach((x) => (names[x.id] = x.name));
    Promise.all(sensorIds.split(',').map((id) => loadSeries(id, names[id] !== undefined ? names[id] : id, from, to, aggregated))).then(
      (loaded) => {
        if (cancelled) return;
        setError(undefined);
        if (range === 'auto') {
          const w = eventWindow(
            loaded.map((x) => ({ ts: x.xs.map((sec) => sec * 1000), values: x.ys })),
            to,
            alarmSince,
          );
          setWindow(w);
          setEventSeen(w.event);
          setSeries(loaded.map((x) => ({ label: x.label, ...clip(x, w.from / 1000, w.to / 1000) })));
        } else {
          setWindow({ from, to, event: false });
          setSeries(loaded);
        }
      },
      (err: unknown) => {
        if (!cancelled) setError(err);
      },
    );
    return () => {
      cancelled = true;
    };
    // Also when the box can be reached again: what came in meanwhile is drawn at once.
  }, [sensorKey, range, tick, alarmSince, s.live === 'open']);

  if (site === undefined && sensorOnly === undefined) {
    return s.sites === undefined ? <p class="loading">{t('loading')}</p> : <Notice kind="warn">{t('siteNotFound')}</Notice>;
  }
  const stale = s.live === 'down';
  const views = site !== undefined ? site.sensors.map(sensorView) : [];
  const value = site !== undefined ? siteValue(views) : sensorOnly !== undefined && sensorOnly.lastReading !== undefined ? sensorOnly.lastReading.value : null;
  const empty = series !== undefined && series.every((x) => x.xs.length === 0);

  return (
    <div data-testid="site-page">
      <Card
        class={`site-page-card${stale ? ' stale' : ''}`}
        title={
          <>
            {site !== undefined ? site.name : sensorOnly !== undefined && sensorOnly.name !== undefined ? sensorOnly.name : props.id} {site !== undefined && <LevelChip level={site.level} />}
          </>
        }
      >
        <div class={`site-value${stale ? ' stale' : ''}`} title={stale ? t('staleValueTitle') : undefined}>
          <span class="big">{num(value)}</span> <span class="unit">{metreUnit()}</span> {stale && <Disconnected />}
        </div>
        {site !== undefined && <LevelBar value={value} prepare={site.thresholds.prepareM} evacuate={site.thresholds.evacuateM} />}
        {views.length > 0 && (
          <ul class="readings">
            {views.map((v) => (
              <ReadingLine key={v.id} v={v} now={now} stale={stale} />
            ))}
          </ul>
        )}
        <div class="segmented" role="group" aria-label={t('chartRange')}>
          {range === 'auto' && window_.event && (
            <button type="button" class="btn btn-primary" aria-pressed={true} onClick={() => setRange('auto')} data-testid="range-event">
              {t('range_event')}
            </button>
          )}
          {range !== 'auto' && eventSeen && (
            <button type="button" class="btn" aria-pressed={false} onClick={() => setRange('auto')} data-testid="range-event">
              {t('range_event')}
            </button>
          )}
          {RANGES.map((r) => {
            // Automatic with nothing happening is the last 6 h: that button shows it.
            const on = range === r.key || (range === 'auto' && !window_.event && series !== undefined && r.key === '6h');
            return (
              <button key={r.key} type="button" class={`btn ${on ? 'btn-primary' : ''}`} aria-pressed={on} onClick={() => setRange(r.key)} data-testid={`range-${r.key}`}>
                {t(`range_${r.key}` as MsgKey)}
              </button>
            );
          })}
        </div>
        <ErrorBox error={error} />
        {series === undefined ? (
          error === undefined && <p class="loading">{t('loading')}</p>
        ) : (
          <>
            <LevelChart series={series} from={window_.from} to={window_.to} {...(site !== undefined ? { prepare: site.thresholds.prepareM, evacuate: site.thresholds.evacuateM } : {})} />
            {empty && <Notice>{t('chartNoData')}</Notice>}
            <p class="hint">
              {formatTime(window_.from, 'short')} – {formatTime(window_.to, 'short')}
              {!empty && ` · ${t('chartTipHint')}`}
            </p>
          </>
        )}
      </Card>
      {site !== undefined && <SitePictures siteId={site.id} />}
    </div>
  );
}
