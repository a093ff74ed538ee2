import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/**
 * One bar per category (a funnel's steps), drawn by uPlot. The numbers are
 * always also in a table beside the chart: this is the picture of them.
 */
export function BarChart({ categories, values, label }: { categories: string[]; values: number[]; label: string }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || categories.length === 0) return;
    const size = () => ({ width: Math.max(280, el.clientWidth), height: 240 });
    const plot = new uPlot(
      {
        ...size(),
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false, range: [-0.5, categories.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
        axes: [{ values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? (categories[t] ?? '') : '')), splits: () => categories.map((_, i) => i) }, { size: 60 }],
        series: [{}, { label, fill: '#2954c8cc', stroke: '#2954c8', paths: uPlot.paths.bars?.({ size: [0.6, 120] }), points: { show: false } }],
      },
      [categories.map((_, i) => i), values],
      el,
    );
    const resize = () => plot.setSize(size());
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [categories.join('\u0000'), values.join(',')]);
  return <div class="chart" ref={box} role="img" aria-label={label} />;
}

const palette = ['#2954c8', '#e07b39', '#2f9e6e', '#a3449b', '#c23b3b'];

/** Series over time (x in epoch seconds), drawn by uPlot; the numbers are in a table beside it. */
export function LineChart({ x, series, label }: { x: number[]; series: { name: string; values: number[] }[]; label: string }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || x.length === 0) return;
    const size = () => ({ width: Math.max(280, el.clientWidth), height: 240 });
    const plot = new uPlot(
      {
        ...size(),
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
        series: [{}, ...series.map((s, i) => ({ label: s.name, stroke: palette[i % palette.length], width: 2 }))],
      },
      [x, ...series.map((s) => s.values)],
      el,
    );
    const resize = () => plot.setSize(size());
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [x.join(','), JSON.stringify(series)]);
  return <div class="chart" ref={box} role="img" aria-label={label} />;
}
