/**
 * @module A time-series chart over uPlot: a canvas, so hundreds of points cost nothing, and a ~50 kB
 * library instead of a general charting toolkit. The chart is rebuilt only when its series change;
 * new points go through `setData`.
 */

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

/** Series colours, readable on white and distinct for the usual colour blindness. */
export const PALETTE = [
  "#2563eb",
  "#f59e0b",
  "#dc2626",
  "#059669",
  "#7c3aed",
  "#db2777",
  "#0891b2",
  "#65a30d",
];

/** Props of {@link TimeChart}. */
export interface TimeChartProps {
  readonly title: string;
  /** Names of the y series, in the order of `data[1..]`. */
  readonly series: readonly string[];
  /** `[times in seconds, ...one array per series]`. */
  readonly data: readonly (readonly (number | null)[])[];
  /** Formats a y value (axis ticks and legend). */
  readonly format: (v: number) => string;
  readonly height?: number;
}

/** A line chart of values over time. */
export function TimeChart(props: TimeChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const fmt = useRef(props.format);
  fmt.current = props.format;
  const key = props.series.join("\u0000");

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const show = (v: number | null) => (v === null || v === undefined ? "–" : fmt.current(v));
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: props.height ?? 180,
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true },
          y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          { stroke: "#475569", grid: { stroke: "#e2e8f0" } },
          {
            stroke: "#475569",
            grid: { stroke: "#e2e8f0" },
            size: 64,
            values: (_u, splits) => splits.map((v) => show(v)),
          },
        ],
        series: [
          {},
          ...props.series.map((name, i) => ({
            label: name,
            stroke: PALETTE[i % PALETTE.length],
            width: 2,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => show(v),
          })),
        ],
      },
      props.data as uPlot.AlignedData,
      el,
    );
    plot.current = u;
    const ro = new ResizeObserver(() =>
      u.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 180 }),
    );
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [key]);

  useEffect(() => {
    plot.current?.setData(props.data as uPlot.AlignedData);
  }, [props.data]);

  return (
    <figure class="chart" data-chart={props.title}>
      <figcaption>{props.title}</figcaption>
      <div ref={host} />
    </figure>
  );
}
