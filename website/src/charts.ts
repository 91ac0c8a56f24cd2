import uPlot from 'uplot';
import { lonePoints, withGaps } from './chart-gaps';
import type { MetricSpec, SeriesResponse } from './iot-api';

/**
 * One metric's time series drawn with uPlot: raw readings as a line, rollups as the average with a band
 * from minimum to maximum, and the metric's alert limits as dashed lines. The chart follows its
 * container's width (phones included) and keeps its zoom while new data streams in.
 */
const BRAND = '#c2410c';
const BAND = 'rgba(194, 65, 12, 0.14)';
const LIMIT = '#b42318';

export interface ChartData {
  resolution: SeriesResponse['resolution'];
  /** Times in ms, ascending. */
  ts: number[];
  /** Raw values, or the averages of rollups. */
  value: number[];
  min?: number[];
  max?: number[];
}

export function toChartData(series: SeriesResponse): ChartData {
  if (series.resolution === 'raw') return { resolution: 'raw', ts: series.points.map((p) => p.ts), value: series.points.map((p) => p.value) };
  return {
    resolution: series.resolution,
    ts: series.points.map((p) => p.ts),
    value: series.points.map((p) => p.avg),
    min: series.points.map((p) => p.min),
    max: series.points.map((p) => p.max),
  };
}

export class MetricChart {
  private plot: uPlot | undefined;
  private shape = '';
  private readonly resize: ResizeObserver;

  constructor(
    private readonly el: HTMLElement,
    private readonly spec: MetricSpec,
  ) {
    this.resize = new ResizeObserver(() => this.plot?.setSize(this.size()));
    this.resize.observe(el);
  }

  /** Draws `data` over `[from, to]`; the x range follows the window, so an empty stretch reads as a gap. */
  update(data: ChartData, from: number, to: number): void {
    const limits = [this.spec.threshold?.above, this.spec.threshold?.below].filter((v): v is number => v !== undefined);
    const shape = `${data.resolution}|${to - from > 2 * 86400_000}`;
    const gapped = withGaps(data.ts, data.min && data.max ? [data.value, data.min, data.max] : [data.value], data.resolution);
    const columns: (number | null)[][] = [gapped.ts, ...gapped.columns];
    this.el.dataset.points = String(data.ts.length);
    this.el.dataset.resolution = data.resolution;
    if (!this.plot || shape !== this.shape) {
      this.plot?.destroy();
      this.shape = shape;
      this.plot = new uPlot(this.options(data, limits, from, to), columns as uPlot.AlignedData, this.el);
      return;
    }
    this.plot.batch(() => {
      this.plot!.setData(columns as uPlot.AlignedData, false);
      this.plot!.setScale('x', { min: from, max: to });
    });
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private size(): { width: number; height: number } {
    const width = Math.max(240, this.el.clientWidth);
    return { width, height: width < 480 ? 170 : 210 };
  }

  private options(data: ChartData, limits: number[], from: number, to: number): uPlot.Options {
    const { spec } = this;
    const format = (v: number | null) => (v === null || v === undefined ? '–' : `${v.toFixed(spec.decimals)} ${spec.unit}`);
    const series: uPlot.Series[] = [
      {},
      { label: data.resolution === 'raw' ? spec.label : `${spec.label} (avg)`, stroke: BRAND, width: 2, value: (_u, v) => format(v), points: { show: data.ts.length < 120, size: 4, filter: (u, i, show) => (show ? null : lonePoints(u.data[i]!)) } },
    ];
    const bands: uPlot.Band[] = [];
    if (data.min && data.max) {
      series.push({ label: 'min', stroke: 'rgba(194, 65, 12, 0.35)', width: 1, value: (_u, v) => format(v) }, { label: 'max', stroke: 'rgba(194, 65, 12, 0.35)', width: 1, value: (_u, v) => format(v) });
      bands.push({ series: [3, 2], fill: BAND });
    }
    const days = to - from > 2 * 86400_000;
    return {
      ...this.size(),
      ms: 1,
      series,
      bands,
      cursor: { drag: { x: true, y: false } },
      legend: { live: true },
      scales: { x: { time: true, min: from, max: to }, y: { range: (_u, min, max) => padRange(min, max, limits) } },
      // Alert limits as dashed lines behind the data (drawn, not series: they have no place in the legend).
      hooks: { drawAxes: [(u) => drawLimits(u, limits)] },
      axes: [
        { stroke: '#586174', grid: { stroke: '#eef1f5' }, ticks: { stroke: '#e4e7ec' }, space: 64, values: (_u, ticks) => ticks.map((t) => timeLabel(t, days)) },
        { stroke: '#586174', grid: { stroke: '#eef1f5' }, ticks: { stroke: '#e4e7ec' }, size: 56, values: (_u, vals, _axis, _space, step) => vals.map((v) => v.toFixed(decimalsFor(step))) },
      ],
    };
  }
}

/** Enough decimals to tell ticks `step` apart (0.25 → 2), and no more. */
function decimalsFor(step: number): number {
  for (let d = 0; d < 4; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
  return 4;
}

function drawLimits(u: uPlot, limits: number[]): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.strokeStyle = LIMIT;
  ctx.lineWidth = Math.max(1, devicePixelRatio);
  ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
  for (const limit of limits) {
    const y = Math.round(u.valToPos(limit, 'y', true));
    if (y < bbox.top || y > bbox.top + bbox.height) continue;
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
  }
  ctx.restore();
}

/** `14:05` for windows of hours, `Nov 26` (with the hour at midnight ticks) for windows of days. */
function timeLabel(ts: number, days: boolean): string {
  const d = new Date(ts);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  if (!days) return hm;
  return d.getHours() === 0 && d.getMinutes() === 0 ? d.toLocaleDateString('en', { month: 'short', day: 'numeric' }) : hm;
}

/** A y range around the data that also shows a nearby alert limit, so a crossing is visible. */
function padRange(min: number | null, max: number | null, limits: number[]): [number, number] {
  let lo = min ?? 0;
  let hi = max ?? 1;
  const span = Math.max(hi - lo, Math.abs(hi) * 0.02, 0.5);
  for (const limit of limits) {
    if (limit > hi && limit - hi < span * 1.5) hi = limit;
    if (limit < lo && lo - limit < span * 1.5) lo = limit;
  }
  const pad = (hi - lo || 1) * 0.08;
  return [lo - pad, hi + pad];
}
