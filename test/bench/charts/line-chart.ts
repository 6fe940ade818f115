/**
 * A line chart as SVG text: one or more series over a shared x axis (the soak's memory by subjects), the y axis from
 * zero so a flat curve looks flat and a small rise looks small, optional dashed reference lines (a target).
 */
import {
  HEIGHT,
  PALETTE,
  WIDTH,
  axisTitle,
  formatTick,
  legend,
  niceTicks,
  referenceLines,
  round,
  scaleLinear,
  svgDocument,
  text,
  yAxis,
  type Axis,
  type PlotArea,
  type ReferenceLine,
} from "./svg";

export interface LineSeries {
  name: string;
  points: { x: number; y: number }[];
}

export interface LineChartSpec {
  title: string;
  subtitle?: string;
  xAxis: Axis;
  yAxis: Axis;
  series: LineSeries[];
  references?: ReferenceLine[];
}

const PLOT: PlotArea = { left: 72, top: 72, right: WIDTH - 24, bottom: HEIGHT - 52 };

/** The chart, or undefined when no series has a point to draw: no chart rather than empty axes. */
export function renderLineChart(spec: LineChartSpec): string | undefined {
  const series = spec.series
    .map((s) => ({ ...s, points: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)) }))
    .filter((s) => s.points.length > 0);
  if (series.length === 0) return undefined;
  const points = series.flatMap((s) => s.points);
  const references = spec.references ?? [];
  const xs = points.map((p) => p.x);
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), 5);
  // Headroom above the highest point or reference line, so a target's label stays inside the plot.
  const yTicks = niceTicks(0, Math.max(...points.map((p) => p.y), ...references.map((r) => r.value)) * 1.1, 5);
  const x = scaleLinear(xTicks[0], xTicks[xTicks.length - 1], PLOT.left, PLOT.right);
  const y = scaleLinear(yTicks[0], yTicks[yTicks.length - 1], PLOT.bottom, PLOT.top);
  const xStep = xTicks.length > 1 ? xTicks[1] - xTicks[0] : 1;

  const body = [
    ...yAxis(PLOT, yTicks, y, spec.yAxis),
    `<line x1="${PLOT.left}" y1="${PLOT.bottom}" x2="${PLOT.right}" y2="${PLOT.bottom}" stroke="#444" stroke-width="1"/>`,
    ...xTicks.flatMap((t) => [
      `<line x1="${x(t)}" y1="${PLOT.bottom}" x2="${x(t)}" y2="${PLOT.bottom + 5}" stroke="#444" stroke-width="1"/>`,
      text(x(t), PLOT.bottom + 18, formatTick(t, xStep), { size: 11, anchor: "middle", fill: "#444" }),
    ]),
    text(round((PLOT.left + PLOT.right) / 2), HEIGHT - 12, axisTitle(spec.xAxis), { anchor: "middle" }),
    ...referenceLines(PLOT, references, y),
    ...series.flatMap((s, i) => {
      const color = PALETTE[i % PALETTE.length];
      const sorted = [...s.points].sort((a, b) => a.x - b.x);
      return [
        `<polyline data-series="${i}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" points="${sorted.map((p) => `${x(p.x)},${y(p.y)}`).join(" ")}"/>`,
        ...sorted.map((p) => `<circle cx="${x(p.x)}" cy="${y(p.y)}" r="2.5" fill="${color}"/>`),
      ];
    }),
    ...legend(
      series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length], shape: "line" })),
      spec.subtitle ? 60 : 48,
    ),
  ];
  return svgDocument(spec.title, spec.subtitle, body);
}
