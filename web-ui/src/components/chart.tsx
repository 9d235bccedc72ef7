import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { nearestValue } from '../chart-range.js';
import { formatTime, metres, timeZone, withMetreUnit } from '../format.js';
import { t } from '../i18n.js';

export interface ChartSeries {
  readonly label: string;
  /** UTC seconds. */
  readonly xs: readonly number[];
  readonly ys: readonly (number | null)[];
}

const COLOURS = ['#0b5cad', '#2e7d32', '#6a1b9a', '#00838f'];

/** A reading this many CSS px away from the finger (along time) still counts as under it. */
const TAP_REACH_PX = 40;

/** What lies under a tap: the time and each sensor's value, placed beside the finger within the chart. */
interface Tip {
  readonly time: string;
  readonly lines: readonly { readonly label: string; readonly value: string; readonly colour: string }[];
  readonly style: Record<string, string>;
}

/**
 * A uPlot line chart of the sensors of a site with the 准备转移 and 立即转移 levels as dashed horizontal lines.
 * Times are drawn in the box's time zone. Resizes with the window (no ResizeObserver on Chrome 61).
 */
export function LevelChart(props: { series: readonly ChartSeries[]; prepare?: number; evacuate?: number; from: number; to: number }): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [tip, setTip] = useState<Tip | undefined>(undefined);

  useEffect(() => {
    const el = host.current;
    if (el === null) return undefined;
    setTip(undefined);
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
          // Ticks far enough apart for HH:mm:ss labels when the window is only minutes long.
          space: toS - fromS < 3_600 ? 80 : 50,
          // Hours within a day, dates beyond; midnight ticks show the date so a 24 h chart says which day.
          values: (_u, splits, _axis, _space, incr) =>
            splits.map((x) => {
              if (incr >= 86_400) return formatTime(x * 1000, 'day');
              // A window of minutes (an event that just began) needs the seconds to tell its ticks apart.
              const hm = formatTime(x * 1000, incr < 60 ? 'seconds' : 'time');
              return hm === '00:00' || hm === '24:00' || hm === '00:00:00' ? formatTime(x * 1000, 'day') : hm;
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
      setTip(undefined);
    };
    window.addEventListener('resize', onResize);

    // A tap (or a finger moving) on the plot: the time and each sensor's value there, in a tip beside the finger.
    // Touch screens have no hover, so uPlot's live legend alone never moves for them.
    const showAt = (clientX: number, clientY: number): void => {
      const box = u.over.getBoundingClientRect();
      const outer = wrap.current !== null ? wrap.current.getBoundingClientRect() : box;
      const left = clientX - box.left;
      const top = clientY - box.top;
      if (left < 0 || left > box.width || top < 0 || top > box.height) return;
      const xs = u.data[0];
      const idx = u.posToIdx(left);
      const scale = u.scales.x;
      const lo = scale !== undefined ? scale.min : undefined;
      const hi = scale !== undefined ? scale.max : undefined;
      const reach = lo !== undefined && hi !== undefined && box.width > 0 ? ((hi - lo) / box.width) * TAP_REACH_PX : Infinity;
      const lines: { label: string; value: string; colour: string }[] = [];
      let at: number | undefined;
      props.series.forEach((s, i) => {
        const ys = u.data[i + 1];
        if (ys === undefined || idx === null || idx < 0) return;
        const hit = nearestValue(xs, ys, idx, reach);
        if (hit === undefined) return;
        if (at === undefined) at = hit.x;
        lines.push({ label: s.label, value: metres(hit.y), colour: COLOURS[i % COLOURS.length]! });
      });
      if (at === undefined) {
        setTip(undefined);
        return;
      }
      u.setCursor({ left: u.valToPos(at, 'x'), top });
      // Beside the finger, above it (below near the top), never past the chart's edges.
      const x = box.left - outer.left + u.valToPos(at, 'x');
      const y = box.top - outer.top + top;
      const width = outer.width;
      const style: Record<string, string> = x < width / 2 ? { left: `${Math.max(4, x - 12)}px`, maxWidth: `${width - Math.max(4, x - 12) - 4}px` } : { right: `${Math.max(4, width - x - 12)}px`, maxWidth: `${width - Math.max(4, width - x - 12) - 4}px` };
      style.top = `${y}px`;
      style.transform = y < 90 ? 'translateY(28px)' : 'translateY(calc(-100% - 28px))';
      setTip({ time: formatTime(at * 1000, toS - fromS < 3_600 ? 'seconds' : 'short'), lines, style });
    };
    const onTouch = (e: TouchEvent): void => {
      const touch = e.touches[0];
      if (touch !== undefined) showAt(touch.clientX, touch.clientY);
    };
    const onClick = (e: MouseEvent): void => showAt(e.clientX, e.clientY);
    u.over.addEventListener('touchstart', onTouch, { passive: true });
    u.over.addEventListener('touchmove', onTouch, { passive: true });
    u.over.addEventListener('click', onClick);
    return () => {
      window.removeEventListener('resize', onResize);
      u.over.removeEventListener('touchstart', onTouch);
      u.over.removeEventListener('touchmove', onTouch);
      u.over.removeEventListener('click', onClick);
      u.destroy();
      plot.current = null;
    };
  }, [props.series, props.prepare, props.evacuate, props.from, props.to]);

  return (
    <div class="chart-wrap" ref={wrap}>
      <div class="chart" ref={host} data-testid="level-chart" data-from={String(props.from)} data-to={String(props.to)} role="img" aria-label={withMetreUnit(t('chartLevel'))} />
      {tip !== undefined && (
        <div class="chart-tip" style={tip.style} role="status" aria-live="polite" data-testid="chart-tip">
          <div class="chart-tip-time">{t('chartTip', { time: tip.time })}</div>
          {tip.lines.map((l) => (
            <div key={l.label} class="chart-tip-line">
              <span class="chart-tip-swatch" style={{ background: l.colour }} aria-hidden="true" />
              {props.series.length > 1 ? `${l.label} ` : ''}
              <strong>{l.value}</strong>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
