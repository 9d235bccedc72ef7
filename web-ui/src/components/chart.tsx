import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatTime, metres, timeZone, withMetreUnit } from '../format.js';
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
    const data: uPlot.AlignedData = tables.length > 0 ? uPlot.join(tables) : [[fromS, toS]];
    const lines: uPlot.Series[] = [{ label: t('chartTime'), value: (_u, v) => (v === null || v === undefined ? '—' : formatTime(v * 1000, 'short')) }];
    props.series.forEach((s, i) => {
      lines.push({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: false, value: (_u, v) => (v === null || v === undefined ? '—' : v.toFixed(2)) });
    });
    // 准备转移 / 立即转移 as dashed lines across the whole plot, drawn on the canvas; the y range always includes them.
    const levels: { value: number; label: string; colour: string }[] = [];
    if (props.prepare !== undefined) levels.push({ value: props.prepare, label: t('threshold_prepare'), colour: '#b26a00' });
    if (props.evacuate !== undefined) levels.push({ value: props.evacuate, label: t('threshold_evacuate'), colour: '#c62828' });
    const drawLevels = (u: uPlot): void => {
      const ctx = u.ctx;
      const { left, top, width: w, height: h } = u.bbox;
      ctx.save();
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.setLineDash([8 * devicePixelRatio, 6 * devicePixelRatio]);
      ctx.font = `${Math.round(12 * devicePixelRatio)}px sans-serif`;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'bottom';
      for (const l of levels) {
        const y = Math.round(u.valToPos(l.value, 'y', true));
        if (y < top || y > top + h) continue;
        ctx.strokeStyle = l.colour;
        ctx.beginPath();
        ctx.moveTo(left, y);
        ctx.lineTo(left + w, y);
        ctx.stroke();
        ctx.fillStyle = l.colour;
        ctx.fillText(`${l.label} ${metres(l.value)}`, left + 6 * devicePixelRatio, y - 4 * devicePixelRatio);
      }
      ctx.restore();
    };
    const yRange = (_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax => {
      let lo = min === null ? Infinity : min;
      let hi = max === null ? -Infinity : max;
      for (const l of levels) {
        lo = Math.min(lo, l.value);
        hi = Math.max(hi, l.value);
      }
      if (!isFinite(lo) || !isFinite(hi)) return [0, 1];
      const pad = Math.max((hi - lo) * 0.08, 0.1);
      return [lo - pad, hi + pad];
    };
    const tz = timeZone();
    const width = Math.max(280, el.clientWidth);
    const opts: uPlot.Options = {
      width,
      height: Math.round(Math.min(420, Math.max(240, width * 0.55))),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
      scales: { x: { time: true, range: () => [fromS, toS] }, y: { range: yRange } },
      hooks: { draw: [drawLevels] },
      axes: [
        {
          // Hours within a day, dates beyond; midnight ticks show the date so a 24 h chart says which day.
          values: (_u, splits, _axis, _space, incr) =>
            splits.map((x) => {
              if (incr >= 86_400) return formatTime(x * 1000, 'day');
              const hm = formatTime(x * 1000, 'time');
              return hm === '00:00' || hm === '24:00' ? formatTime(x * 1000, 'day') : hm;
            }),
        },
        { label: withMetreUnit(t('chartLevel')), size: 64 },
      ],
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

  return <div class="chart" ref={host} data-testid="level-chart" role="img" aria-label={withMetreUnit(t('chartLevel'))} />;
}
