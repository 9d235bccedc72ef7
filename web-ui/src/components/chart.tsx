import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { timeZone } from '../format.js';
import { t } from '../i18n.js';

export interface ChartSeries {
  readonly label: string;
  /** UTC seconds. */
  readonly xs: readonly number[];
  readonly ys: readonly (number | null)[];
}

const COLOURS = ['#0b5cad', '#2e7d32', '#6a1b9a', '#00838f'];

/**
 * A uPlot line chart of the sensors of a site with the 准备转移 and 立即转移 levels as dashed horizontal lines.
 * Times are drawn in the box's time zone. Resizes with the window (no ResizeObserver on Chrome 61).
 */
export function LevelChart(props: { series: readonly ChartSeries[]; prepare?: number; evacuate?: number; from: number; to: number }): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = host.current;
    if (el === null) return undefined;
    const tables = props.series.map((s) => [s.xs.slice(), s.ys.slice()] as uPlot.AlignedData);
    const fromS = props.from / 1000;
    const toS = props.to / 1000;
    let data: uPlot.AlignedData = tables.length > 0 ? uPlot.join(tables) : [[fromS, toS]];
    const xs = data[0] as number[];
    const lines: uPlot.Series[] = [{}];
    props.series.forEach((s, i) => {
      lines.push({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: false, value: (_u, v) => (v === null || v === undefined ? '—' : v.toFixed(2)) });
    });
    const extra: (number | null)[][] = [];
    const addLine = (value: number | undefined, label: string, colour: string): void => {
      if (value === undefined) return;
      lines.push({ label, stroke: colour, width: 2, dash: [8, 6], points: { show: false }, value: () => value.toFixed(2) });
      extra.push(xs.map(() => value));
    };
    addLine(props.prepare, t('threshold_prepare'), '#b26a00');
    addLine(props.evacuate, t('threshold_evacuate'), '#c62828');
    data = [xs, ...(data.slice(1) as (number | null)[][]), ...extra] as uPlot.AlignedData;
    const tz = timeZone();
    const width = Math.max(280, el.clientWidth);
    const opts: uPlot.Options = {
      width,
      height: Math.round(Math.min(420, Math.max(240, width * 0.55))),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
      scales: { x: { time: true, range: () => [fromS, toS] } },
      axes: [{}, { label: t('chartLevel'), size: 64 }],
      series: lines,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const onResize = (): void => {
      const w = Math.max(280, el.clientWidth);
      u.setSize({ width: w, height: Math.round(Math.min(420, Math.max(240, w * 0.55))) });
    };
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      u.destroy();
      plot.current = null;
    };
  }, [props.series, props.prepare, props.evacuate, props.from, props.to]);

  return <div class="chart" ref={host} data-testid="level-chart" role="img" aria-label={t('chartLevel')} />;
}
