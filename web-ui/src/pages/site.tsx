import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get, type Aggregates, type RawReadings } from '../api.js';
import { LevelChart, type ChartSeries } from '../components/chart.js';
import { Card, ErrorBox, LevelChip, Notice } from '../components/ui.js';
import { formatTime, metreUnit, num } from '../format.js';
import { t, type MsgKey } from '../i18n.js';
import { useStore } from '../store.js';
import { LevelBar, sensorView, siteValue } from './overview.js';

const RANGES = [
  { key: '6h', ms: 6 * 3_600_000 },
  { key: '24h', ms: 24 * 3_600_000 },
  { key: '7d', ms: 7 * 86_400_000 },
  { key: '30d', ms: 30 * 86_400_000 },
] as const;
type RangeKey = (typeof RANGES)[number]['key'];

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
      const body = await get<RawReadings>(q);
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
  const [range, setRange] = useState<RangeKey>('24h');
  const [series, setSeries] = useState<readonly ChartSeries[] | undefined>(undefined);
  const [window_, setWindow] = useState<{ from: number; to: number }>({ from: 0, to: 0 });
  const [error, setError] = useState<unknown>(undefined);
  const site = s.sites !== null && s.sites !== undefined ? s.sites.filter((x) => x.id === props.id)[0] : undefined;
  // Without /sites, a sensor id works as a one-sensor site (development before the backend route lands).
  const sensorOnly = site === undefined && s.health !== undefined ? s.health.sensors.filter((x) => x.id === props.id)[0] : undefined;
  const sensorIds = site !== undefined ? site.sensors.map((x) => x.id).join(',') : sensorOnly !== undefined ? sensorOnly.id : '';
  // The chart reloads when the sensors or their names change (the site list may arrive after the health).
  const sensorKey = site !== undefined ? site.sensors.map((x) => `${x.id}:${x.name !== undefined ? x.name : ''}`).join(',') : sensorIds;
  const live = range === '6h' || range === '24h';
  // Short ranges follow live readings, at most twice a minute.
  const tick = live ? Math.floor(s.readingTick / 15) : 0;

  useEffect(() => {
    if (sensorIds === '') return;
    let cancelled = false;
    const r = RANGES.filter((x) => x.key === range)[0];
    const to = Date.now();
    const from = to - (r !== undefined ? r.ms : 86_400_000);
    const aggregated = range === '7d' || range === '30d';
    const names: Record<string, string> = {};
    if (site !== undefined) site.sensors.forEach((x) => (names[x.id] = x.name !== undefined ? x.name : x.id));
    Promise.all(sensorIds.split(',').map((id) => loadSeries(id, names[id] !== undefined ? names[id] : id, from, to, aggregated))).then(
      (loaded) => {
        if (cancelled) return;
        setError(undefined);
        setWindow({ from, to });
        setSeries(loaded);
      },
      (err: unknown) => {
        if (!cancelled) setError(err);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [sensorKey, range, tick]);

  if (site === undefined && sensorOnly === undefined) {
    return s.sites === undefined ? <p class="loading">{t('loading')}</p> : <Notice kind="warn">{t('siteNotFound')}</Notice>;
  }
  const now = Date.now();
  const views = site !== undefined ? site.sensors.map((x) => sensorView(x, now)) : [];
  const value = site !== undefined ? siteValue(views) : sensorOnly !== undefined && sensorOnly.lastReading !== undefined ? sensorOnly.lastReading.value : null;
  const empty = series !== undefined && series.every((x) => x.xs.length === 0);

  return (
    <div data-testid="site-page">
      <Card
        title={
          <>
            {site !== undefined ? site.name : sensorOnly !== undefined && sensorOnly.name !== undefined ? sensorOnly.name : props.id} {site !== undefined && <LevelChip level={site.level} />}
          </>
        }
      >
        <div class="site-value">
          <span class="big">{num(value)}</span> <span class="unit">{metreUnit()}</span>
        </div>
        {site !== undefined && <LevelBar value={value} prepare={site.thresholds.prepareM} evacuate={site.thresholds.evacuateM} />}
        <div class="segmented" role="group" aria-label={t('chartRange')}>
          {RANGES.map((r) => (
            <button key={r.key} type="button" class={`btn ${range === r.key ? 'btn-primary' : ''}`} aria-pressed={range === r.key} onClick={() => setRange(r.key)} data-testid={`range-${r.key}`}>
              {t(`range_${r.key}` as MsgKey)}
            </button>
          ))}
        </div>
        <ErrorBox error={error} />
        {series === undefined ? (
          <p class="loading">{t('loading')}</p>
        ) : (
          <>
            <LevelChart series={series} from={window_.from} to={window_.to} {...(site !== undefined ? { prepare: site.thresholds.prepareM, evacuate: site.thresholds.evacuateM } : {})} />
            {empty && <Notice>{t('chartNoData')}</Notice>}
            <p class="hint">
              {formatTime(window_.from, 'short')} – {formatTime(window_.to, 'short')}
            </p>
          </>
        )}
      </Card>
    </div>
  );
}
