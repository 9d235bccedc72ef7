import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { SensorHealth, SensorStatus, Site, SiteSensor } from '../api.js';
import { Card, LevelChip, Notice, Quality } from '../components/ui.js';
import { formatAge, formatTime, metres, metresPerHour, metreUnit, millimetres, num } from '../format.js';
import { t } from '../i18n.js';
import { onLinkClick } from '../router.js';
import { useStore } from '../store.js';

/** Re-renders every `ms` with the time now: ages keep counting while nothing new arrives (e.g. the box is cut off). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(timer);
  }, [ms]);
  return Math.max(now, Date.now());
}

/** The 已断开 chip shown instead of a reading's quality while the box cannot be reached. */
export function Disconnected(): JSX.Element {
  return (
    <span class="chip q-disconnected" data-testid="reading-disconnected">
      {t('disconnected')}
    </span>
  );
}

export interface SensorView {
  readonly id: string;
  readonly name: string;
  readonly value: number | null;
  readonly ts: number | undefined;
  readonly quality: SensorStatus;
}

/** A site's sensor (GET /sites) as a reading line shows it: its last reading, if any, and its status. */
export function sensorView(s: SiteSensor): SensorView {
  const r = s.lastReading;
  return { id: s.id, name: s.name, value: r !== null ? r.value : null, ts: r !== null ? r.ts : undefined, quality: s.status };
}

/** The highest good reading of a site: what its alarm rule would look at. */
export function siteValue(views: readonly SensorView[]): number | null {
  let best: number | null = null;
  for (const v of views) {
    if (v.value === null || v.quality === 'out_of_range' || v.quality === 'comm_fail') continue;
    if (best === null || v.value > best) best = v.value;
  }
  return best;
}

/** Water level against the two thresholds: the bar spans a little below 准备转移 to a little above 立即转移. */
export function LevelBar(props: { value: number | null; prepare: number; evacuate: number }): JSX.Element {
  const { value, prepare, evacuate } = props;
  const span = Math.max(evacuate - prepare, 0.1);
  const lo = prepare - 2 * span;
  const hi = evacuate + 0.6 * span;
  const pos = (v: number): number => Math.max(0, Math.min(100, ((v - lo) / (hi - lo)) * 100));
  const cls = value === null ? 'none' : value >= evacuate ? 'evacuate' : value >= prepare ? 'prepare' : 'normal';
  const label = `${t('currentLevel')} ${metres(value)}, ${t('threshold_prepare')} ${metres(prepare)}, ${t('threshold_evacuate')} ${metres(evacuate)}`;
  return (
    <div class="levelbar" role="img" aria-label={label} data-testid="level-bar">
      <div class={`levelbar-fill fill-${cls}`} style={{ width: `${value === null ? 0 : pos(value)}%` }} />
      <div class="levelbar-mark mark-prepare" style={{ left: `${pos(prepare)}%` }}>
        <span>{metres(prepare)}</span>
      </div>
      <div class="levelbar-mark mark-evacuate" style={{ left: `${pos(evacuate)}%` }}>
        <span>{metres(evacuate)}</span>
      </div>
    </div>
  );
}

function Trend(props: { trend: number | null | undefined }): JSX.Element {
  const v = props.trend;
  if (v === null || v === undefined || !isFinite(v)) return <span>—</span>;
  const word = v > 0.005 ? t('trendRising') : v < -0.005 ? t('trendFalling') : t('trendSteady');
  const arrow = v > 0.005 ? '↑' : v < -0.005 ? '↓' : '→';
  return (
    <span class={v > 0.05 ? 'trend-up' : ''}>
      <span aria-hidden="true">{arrow} </span>
      {word} {metresPerHour(v)}
    </span>
  );
}

/** One sensor's last reading, its quality and age; greyed with 已断开 (the age still counting) while `stale`. */
export function ReadingLine(props: { v: SensorView; now: number; stale: boolean }): JSX.Element {
  const { v, now, stale } = props;
  return (
    <li class={`reading-line${stale ? ' stale' : ''}`} data-testid="reading-line" data-stale={stale ? 'true' : 'false'} title={stale ? t('staleValueTitle') : undefined}>
      <span class="reading-name">{v.name}</span>
      <span class="reading-value" data-testid="reading-value">
        {metres(v.value)}
      </span>
      {stale ? <Disconnected /> : <Quality q={v.quality} />}
      <span class="reading-age" data-testid="reading-age">
        {v.ts === undefined ? t('noReading') : <time title={formatTime(v.ts)}>{t('readingAge', { age: formatAge(now - v.ts) })}</time>}
      </span>
    </li>
  );
}

function SiteCard(props: { site: Site; now: number; stale: boolean }): JSX.Element {
  const { site, now, stale } = props;
  const views = site.sensors.map(sensorView);
  const value = siteValue(views);
  const rain = site.rainfall;
  return (
    <Card class={`site-card site-${site.level !== null ? site.level : 'normal'}${stale ? ' stale' : ''}`} testid="site-card">
      <div class="site-head">
        <h2 class="card-title">
          <a href={`/site/${encodeURIComponent(site.id)}`} onClick={onLinkClick} data-testid="site-link">
            {site.name}
          </a>
        </h2>
        <LevelChip level={site.level} />
      </div>
      <div class="site-value">
        <span class="big">{num(value)}</span> <span class="unit">{metreUnit()}</span> {stale && <Disconnected />}
      </div>
      <LevelBar value={value} prepare={site.thresholds.prepareM} evacuate={site.thresholds.evacuateM} />
      <dl class="facts">
        <dt>{t('trend')}</dt>
        <dd>
          <Trend trend={site.trend} />
        </dd>
        {rain !== null && (
          <>
            <dt>{t('rainfall')}</dt>
            <dd data-testid="rainfall">
              {t('rain_h1')} {millimetres(rain.h1)} · {t('rain_h3')} {millimetres(rain.h3)} · {t('rain_h6')} {millimetres(rain.h6)}
            </dd>
          </>
        )}
      </dl>
      <ul class="readings">
        {views.map((v) => (
          <ReadingLine key={v.id} v={v} now={now} stale={stale} />
        ))}
      </ul>
    </Card>
  );
}

/** A sensor from /health, without thresholds: where the daemon serves no /sites (404), or one that belongs to no site. */
function SensorCard(props: { s: SensorHealth; now: number; stale: boolean; heading?: 'h2' | 'h3' }): JSX.Element {
  const { s, now, stale } = props;
  const r = s.lastReading;
  const v: SensorView = { id: s.id, name: s.name !== undefined ? s.name : s.id, value: r !== undefined ? r.value : null, ts: r !== undefined ? r.ts : undefined, quality: s.status };
  const Heading = props.heading !== undefined ? props.heading : 'h2';
  return (
    <Card class={`site-card${stale ? ' stale' : ''}`} testid="sensor-card">
      <div class="site-head">
        <Heading class="card-title">{v.name}</Heading>
        {stale ? <Disconnected /> : <Quality q={s.status} />}
      </div>
      <div class="site-value">
        <span class="big">{num(v.value)}</span> <span class="unit">{metreUnit()}</span>
      </div>
      <ul class="readings">
        <ReadingLine v={v} now={now} stale={stale} />
      </ul>
    </Card>
  );
}

/** The sensors /health lists that no alarm site names (they raise no flood alarm, but their readings matter). */
export function unassignedSensors<T extends { readonly id: string }>(sensors: readonly T[], sites: readonly { readonly sensors: readonly { readonly id: string }[] }[]): T[] {
  const inSite: Record<string, true> = {};
  for (const site of sites) for (const x of site.sensors) inSite[x.id] = true;
  return sensors.filter((x) => inSite[x.id] !== true);
}

export function OverviewPage(): JSX.Element {
  const s = useStore();
  const now = useNow(1000);
  const stale = s.live === 'down';
  if (s.sites === undefined && s.health === undefined) return <p class="loading">{t('loading')}</p>;
  if (s.sites === null || s.sites === undefined) {
    const sensors = s.health !== undefined ? s.health.sensors : [];
    return (
      <div>
        {s.sites === null && <Notice kind="warn">{t('sitesUnavailable')}</Notice>}
        <div class="grid">
          {sensors.map((x) => (
            <SensorCard key={x.id} s={x} now={now} stale={stale} />
          ))}
        </div>
      </div>
    );
  }
  const loose = s.health !== undefined ? unassignedSensors(s.health.sensors, s.sites) : [];
  return (
    <div data-testid="overview">
      {s.sites.length === 0 ? (
        <Notice>{t('noSites')}</Notice>
      ) : (
        <div class="grid">
          {s.sites.map((site) => (
            <SiteCard key={site.id} site={site} now={now} stale={stale} />
          ))}
        </div>
      )}
      {loose.length > 0 && (
        <section class="unassigned" aria-labelledby="unassigned-title" data-testid="unassigned-sensors">
          <h2 id="unassigned-title" class="group-title">
            {t('unassignedSensors')}
          </h2>
          <p class="hint">{t('unassignedHint')}</p>
          <div class="grid">
            {loose.map((x) => (
              <SensorCard key={x.id} s={x} now={now} stale={stale} heading="h3" />
            ))}
          </div>
        </section>
      )}
    </div>
  );
}
