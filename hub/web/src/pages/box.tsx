import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LevelChart, type ChartSeries } from '../../../../web-ui/src/components/chart.js';
import { Card, ErrorBox } from '../../../../web-ui/src/components/ui.js';
import { formatTime } from '../../../../web-ui/src/format.js';
import { boxes, readings } from '../hub-api.js';
import { resolutionFor, RANGES, type RangeKey } from '../resolution.js';
import { onLinkClick } from '../../../../web-ui/src/router.js';
import { t, tk } from '../text.js';
import type { BoxOverview, ReadingsAnswer } from '../types.js';
import { boxFacts, linkClass } from './box-facts.js';
import { BoxPictures } from './box-pictures.js';
import { BoxRecordings } from './box-recordings.js';
import { usePoll } from './boxes.js';

function series(answer: ReadingsAnswer, label: string): ChartSeries {
  if (answer.resolution === 'raw') return { label, xs: answer.readings.map((r) => r.ts / 1000), ys: answer.readings.map((r) => r.value) };
  return { label, xs: answer.buckets.map((b) => b.bucket / 1000), ys: answer.buckets.map((b) => b.mean) };
}

/** One box: what the hub knows of it and a sensor's levels over a range (uPlot, the box UI's chart). */
export function BoxPage(props: { id: string }): JSX.Element {
  const [box, setBox] = useState<BoxOverview | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [sensor, setSensor] = useState<string | undefined>(undefined);
  const [range, setRange] = useState<RangeKey>('24h');
  const [chart, setChart] = useState<{ series: ChartSeries[]; from: number; to: number; resolution: string } | undefined>(undefined);
  const [chartError, setChartError] = useState<unknown>(undefined);

  usePoll(
    async () => {
      try {
        const found = (await boxes()).boxes.find((b) => b.id === props.id);
        setBox(found);
        setError(undefined);
      } catch (err) {
        setError(err);
      }
    },
    15_000,
    [props.id],
  );

  const facts = box === undefined ? undefined : boxFacts(box, Date.now());
  const sensors = (facts?.health?.sensors ?? []).map((s) => ({ id: s.id, label: s.name ?? s.id }));
  const chosen = sensor ?? sensors[0]?.id;

  useEffect(() => {
    if (chosen === undefined) return;
    const span = RANGES.find((r) => r.key === range)?.ms ?? 86_400_000;
    const to = Date.now();
    const from = to - span;
    const resolution = resolutionFor(span);
    let live = true;
    readings(props.id, chosen, from, to, resolution).then(
      (answer) => {
        if (!live) return;
        setChart({ series: [series(answer, sensors.find((s) => s.id === chosen)?.label ?? chosen)], from, to, resolution: answer.resolution });
        setChartError(undefined);
      },
      (err: unknown) => live && setChartError(err),
    );
    return () => {
      live = false;
    };
  }, [props.id, chosen, range]);

  return (
    <>
      <p>
        <a href="/" onClick={onLinkClick}>
          {t('backToBoxes')}
        </a>
      </p>
      <Card title={t('boxTitle', { id: box?.name ?? props.id })} testid="box-page">
        <ErrorBox error={error} />
        {box !== undefined && facts !== undefined && (
          <dl class="facts">
            <dt>{t('lastContact')}</dt>
            <dd>{facts.lastContact}</dd>
            <dt>{t('link')}</dt>
            <dd class={linkClass(facts.linkState)}>{facts.linkState === undefined ? '—' : tk(`link_${facts.linkState}`)}</dd>
            <dt>{t('backlog')}</dt>
            <dd>{facts.backlogRecords === undefined ? '—' : t('records', { n: facts.backlogRecords })}</dd>
            <dt>{t('latestLevels')}</dt>
            <dd>{facts.levels.map((l) => `${l.sensor} ${l.value}`).join('，') || '—'}</dd>
            {box.latestHealth !== null && (
              <>
                <dt>{t('healthAt')}</dt>
                <dd>{formatTime(box.latestHealth.receivedAt, 'short')}</dd>
              </>
            )}
          </dl>
        )}
      </Card>
      <Card title={t('latestLevels')} testid="box-chart">
        <div class="toolbar">
          {sensors.length > 1 && (
            <label>
              {t('sensor')}{' '}
              <select value={chosen} onChange={(e) => setSensor(e.currentTarget.value)} data-testid="sensor-pick">
                {sensors.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.label}
                  </option>
                ))}
              </select>
            </label>
          )}
          <div class="segmented" role="group" aria-label={t('range')}>
            {RANGES.map((r) => (
              <button key={r.key} type="button" class={`btn${range === r.key ? ' btn-primary' : ''}`} aria-pressed={range === r.key} onClick={() => setRange(r.key)} data-testid={`range-${r.key}`}>
                {tk(`range_${r.key}`)}
              </button>
            ))}
          </div>
        </div>
        <ErrorBox error={chartError} />
        {chart !== undefined && <p class="hint" data-testid="chart-resolution">{t('resolution', { r: chart.resolution })}</p>}
        {chart !== undefined && chart.series.every((s) => s.xs.length === 0) && <p class="empty">{t('noReadings')}</p>}
        {chart !== undefined && <LevelChart series={chart.series} from={chart.from} to={chart.to} />}
      </Card>
      <BoxPictures id={props.id} />
      <BoxRecordings id={props.id} />
    </>
  );
}
