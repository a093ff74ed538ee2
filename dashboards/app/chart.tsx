import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

const palette = ['#2954c8', '#e07b39', '#2f9e6e', '#a3449b', '#c23b3b'];

/**
 * A uPlot chart in a box as wide as its container, redrawn when `deps`
 * change and resized with the window. Every chart's numbers are also in a
 * table beside it: the chart is the picture of them.
 */
function Plot({ label, deps, make }: { label: string; deps: string; make: (size: { width: number; height: number }) => [uPlot.Options, uPlot.AlignedData] | undefined }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    const size = () => ({ width: Math.max(280, el?.clientWidth ?? 0), height: 240 });
    const made = el && make(size());
    if (!el || !made) return;
    const plot = new uPlot(made[0], made[1], el);
    const resize = () => plot.setSize(size());
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [deps]);
  return <div class="chart" ref={box} role="img" aria-label={label} />;
}

/** One bar per category (a funnel's steps). */
export function BarChart({ categories, values, label }: { categories: string[]; values: number[]; label: string }): JSX.Element {
  return (
    <Plot
      label={label}
      deps={JSON.stringify([categories, values])}
      make={(size) =>
        categories.length === 0
          ? undefined
          : [
              {
                ...size,
                legend: { show: false },
                cursor: { show: false },
                scales: { x: { time: false, range: [-0.5, categories.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
                axes: [{ values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? (categories[t] ?? '') : '')), splits: () => categories.map((_, i) => i) }, { size: 60 }],
                series: [{}, { label, fill: '#2954c8cc', stroke: '#2954c8', paths: uPlot.paths.bars?.({ size: [0.6, 120] }), points: { show: false } }],
              },
              [categories.map((_, i) => i), values],
            ]
      }
    />
  );
}

/** Series over time (x in epoch seconds). */
export function LineChart({ x, series, label }: { x: number[]; series: { name: string; values: number[] }[]; label: string }): JSX.Element {
  return (
    <Plot
      label={label}
      deps={JSON.stringify([x, series])}
      make={(size) =>
        x.length === 0
          ? undefined
          : [
              {
                ...size,
                scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
                series: [{}, ...series.map((s, i) => ({ label: s.name, stroke: palette[i % palette.length], width: 2 }))],
              },
              [x, ...series.map((s) => s.values)],
            ]
      }
    />
  );
}
