/**
 * A bar chart as SVG text: one vertical bar per measure, side by side from a zero baseline, each with its value
 * printed above it and its name below. Bars belong to a group (this project's figure, a reference it is measured
 * against) that sets their colour and the legend.
 */
import {
  HEIGHT,
  PALETTE,
  REFERENCE_GREY,
  WIDTH,
  formatNumber,
  legend,
  niceTicks,
  referenceLines,
  round,
  scaleLinear,
  svgDocument,
  text,
  wrapText,
  yAxis,
  textBox,
  type Axis,
  type Box,
  type PlotArea,
  type ReferenceLine,
} from "./svg";

export interface Bar {
  label: string;
  value: number;
  /** The legend entry the bar belongs to; bars of one group share a colour. */
  group: string;
  /** Printed after the value above the bar ("0.29x raw"); the value and the axis unit are always printed. */
  note?: string;
}

export interface BarChartSpec {
  title: string;
  subtitle?: string;
  yAxis: Axis;
  /** After each value above its bar; default: a space and the axis unit ("7.44 s"). */
  valueSuffix?: string;
  bars: Bar[];
  /** Groups drawn grey, as the yardstick rather than the thing measured. */
  referenceGroups?: string[];
  references?: ReferenceLine[];
}

const PLOT: PlotArea = { left: 72, top: 72, right: WIDTH - 24, bottom: HEIGHT - 48 };

/** The chart, or undefined when there is no bar with a value to draw. */
export function renderBarChart(spec: BarChartSpec): string | undefined {
  const bars = spec.bars.filter((b) => Number.isFinite(b.value) && b.value >= 0);
  if (bars.length === 0) return undefined;
  const references = spec.references ?? [];
  const yTicks = niceTicks(0, Math.max(...bars.map((b) => b.value), ...references.map((r) => r.value)) * 1.08, 5);
  const y = scaleLinear(yTicks[0], yTicks[yTicks.length - 1], PLOT.bottom, PLOT.top);
  const slot = (PLOT.right - PLOT.left) / bars.length;
  const barWidth = round(Math.min(96, slot * 0.6));
  const groups = [...new Set(bars.map((b) => b.group))];
  let measured = 0;
  const colors = new Map(
    groups.map((g) => [g, spec.referenceGroups?.includes(g) ? REFERENCE_GREY : PALETTE[measured++ % PALETTE.length]]),
  );

  const drawn: Box[] = [];
  const body = [
    ...yAxis(PLOT, yTicks, y, spec.yAxis),
    ...bars.flatMap((b, i) => {
      const centre = PLOT.left + slot * (i + 0.5);
      const top = y(b.value);
      const caption = `${formatNumber(b.value)}${spec.valueSuffix ?? ` ${spec.yAxis.unit}`}${b.note ? `, ${b.note}` : ""}`;
      drawn.push(textBox(centre, top - 5, caption, 11, "middle"), {
        x0: centre - barWidth / 2,
        y0: top,
        x1: centre + barWidth / 2,
        y1: PLOT.bottom,
        soft: true,
      });
      return [
        `<rect data-value="${b.value}" x="${round(centre - barWidth / 2)}" y="${top}" width="${barWidth}" height="${round(PLOT.bottom - top)}" fill="${colors.get(b.group)}"/>`,
        text(centre, top - 5, caption, { size: 11, anchor: "middle", fill: "#222" }),
        ...wrapText(b.label, slot - 8, 11).map((line, l) =>
          text(centre, PLOT.bottom + 16 + l * 13, line, { size: 11, anchor: "middle", fill: "#333" }),
        ),
      ];
    }),
    `<line x1="${PLOT.left}" y1="${PLOT.bottom}" x2="${PLOT.right}" y2="${PLOT.bottom}" stroke="#444" stroke-width="1"/>`,
    ...referenceLines(PLOT, references, y, drawn),
    ...legend(
      groups.map((g) => ({ name: g, color: colors.get(g)!, shape: "box" })),
      spec.subtitle ? 60 : 48,
    ),
  ];
  return svgDocument(spec.title, spec.subtitle, body);
}
