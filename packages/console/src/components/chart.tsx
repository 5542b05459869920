import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  /** A CSS colour; the palette below keeps enough contrast on light and dark backgrounds. */
  stroke: string;
  values: (number | null)[];
}

export interface ChartProps {
  /** What the chart shows, for people who cannot see it (aria-label of the figure). */
  title: string;
  /** x values: epoch seconds. */
  times: number[];
  series: ChartSeries[];
  unit: string;
  height?: number;
  bars?: boolean;
}

export const PALETTE = ['#2563eb', '#d97706', '#dc2626', '#059669', '#7c3aed', '#db2777'];

/**
 * A uPlot time-series chart that follows its container's width. uPlot draws on a canvas; the
 * figure's label and the tables beside each chart carry the same figures for screen readers.
 */
export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${props.series.map((s) => s.label).join('|')}|${props.bars === true}`;

  // Rebuilt only when the series change shape; new data goes through setData below.
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 160,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } },
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          size: 56,
          values: (_u, ticks) => ticks.map((v) => `${v}${props.unit}`),
        },
      ],
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: 2,
          spanGaps: false,
          points: { show: false },
          ...(props.bars === true && uPlot.paths.bars !== undefined
            ? { fill: `${s.stroke}55`, paths: uPlot.paths.bars({ size: [0.6, 40] }) }
            : {}),
        })),
      ],
    };
    const u = new uPlot(opts, [props.times, ...props.series.map((s) => s.values)], el);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      u.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 160 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([props.times, ...props.series.map((s) => s.values)]);
  });

  return <div class="chart" role="img" aria-label={props.title} ref={box} />;
}
