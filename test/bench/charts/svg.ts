/**
 * What the line and bar charts share: the canvas and its margins, axis ticks at round numbers, number formatting,
 * and text escaped for XML. Output is deterministic (no dates, no random ids, coordinates rounded to 0.1 px), so a
 * chart regenerated from the same report.json is byte for byte the same file.
 */

export const WIDTH = 640;
export const HEIGHT = 320;
export const FONT = 'font-family="Helvetica, Arial, sans-serif"';

/** Okabe-Ito colours: told apart with the common colour-vision deficiencies, and on white. */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9"];
export const REFERENCE_GREY = "#8C8C8C";
export const TARGET_RED = "#D55E00";

/** The plot area inside the canvas: room left for the y tick labels and axis title, below for the x ones. */
export interface PlotArea {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface Axis {
  /** What the axis measures, without the unit: "resident memory". */
  label: string;
  /** Printed in brackets after the label, so no axis goes without one: "MB", "ms", "/s". */
  unit: string;
}

/** A horizontal line at a value, e.g. a target ("< 200 MB"), drawn dashed and labelled at its right end. */
export interface ReferenceLine {
  value: number;
  label: string;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function round(n: number): number {
  return Math.round(n * 10) / 10;
}

export function axisTitle(axis: Axis): string {
  return `${axis.label} (${axis.unit})`;
}

/** Maps a value in [d0, d1] linearly onto [r0, r1] (r1 < r0 for a y axis, whose pixels grow downwards). */
export function scaleLinear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v) => round(r0 + ((v - d0) / span) * (r1 - r0));
}

/**
 * About `count` ticks at 1, 2 or 5 times a power of ten that cover [min, max]; the axis then runs from the first
 * tick to the last, so the data never touches the frame's edge unlabelled.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (max <= min) max = min + (min === 0 ? 1 : Math.abs(min) * 0.1);
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let t = first; t < max + step * 0.999; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** 1,234,567 with grouping commas; decimals as given, at most `digits`. */
export function formatNumber(v: number, digits = 2): string {
  const fixed = Number(v.toFixed(digits)).toString();
  const [whole, fraction] = fixed.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction ? `${grouped}.${fraction}` : grouped;
}

/** Tick labels: 200k and 1M once ticks step by thousands (a subject count, a rate), plain numbers below that. */
export function formatTick(v: number, step: number): string {
  if (step < 1_000 || v === 0) return formatNumber(v);
  if (Math.abs(v) >= 1_000_000) return `${formatNumber(v / 1_000_000)}M`;
  return `${formatNumber(v / 1_000)}k`;
}

/** Text width in px at a font size, estimated (no font metrics here): wide enough for Helvetica's digits. */
export function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.56;
}

/** Splits a label into lines that fit a width, at spaces; at most `maxLines`, the last one cut with an ellipsis. */
export function wrapText(text: string, width: number, fontSize: number, maxLines = 2): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, fontSize) > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = `${kept[maxLines - 1]}…`;
  return kept;
}

export function text(
  x: number,
  y: number,
  content: string,
  attrs: { size?: number; anchor?: "start" | "middle" | "end"; weight?: "bold"; fill?: string; extra?: string } = {},
): string {
  const parts = [
    `x="${round(x)}"`,
    `y="${round(y)}"`,
    `font-size="${attrs.size ?? 12}"`,
    `text-anchor="${attrs.anchor ?? "start"}"`,
    `fill="${attrs.fill ?? "#222"}"`,
    ...(attrs.weight ? [`font-weight="${attrs.weight}"`] : []),
    ...(attrs.extra ? [attrs.extra] : []),
  ];
  return `<text ${parts.join(" ")}>${escapeXml(content)}</text>`;
}

/** The document: a white background (the charts stay legible in a dark-themed markdown viewer), title, subtitle. */
export function svgDocument(title: string, subtitle: string | undefined, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ${FONT}>`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(WIDTH / 2, 22, title, { size: 15, anchor: "middle", weight: "bold" }),
    ...(subtitle ? [text(WIDTH / 2, 40, subtitle, { size: 11, anchor: "middle", fill: "#555" })] : []),
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/** The y axis: grid lines at each tick, tick labels, and the rotated axis title with its unit. */
export function yAxis(plot: PlotArea, ticks: number[], y: (v: number) => number, axis: Axis): string[] {
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  const out = ticks.flatMap((t) => [
    `<line x1="${plot.left}" y1="${y(t)}" x2="${plot.right}" y2="${y(t)}" stroke="#e3e3e3" stroke-width="1"/>`,
    text(plot.left - 6, y(t) + 4, formatTick(t, step), { size: 11, anchor: "end", fill: "#444" }),
  ]);
  const middle = round((plot.top + plot.bottom) / 2);
  out.push(
    `<line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${plot.bottom}" stroke="#444" stroke-width="1"/>`,
    text(16, middle, axisTitle(axis), { anchor: "middle", extra: `transform="rotate(-90 16 ${middle})"` }),
  );
  return out;
}

/** A rectangle already drawn on (a bar, a caption), which a reference line's label keeps clear of. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** A label may cover it when no place is clear of everything (a bar: the label stays readable over it). */
  soft?: boolean;
}

/** The box a line of text of `size` takes, drawn at (x, baseline y) with `anchor`. */
export function textBox(x: number, y: number, content: string, size: number, anchor: "start" | "middle" | "end"): Box {
  const width = textWidth(content, size);
  const x0 = anchor === "start" ? x : anchor === "end" ? x - width : x - width / 2;
  return { x0, y0: y - size, x1: x0 + width, y1: y + 3 };
}

const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/**
 * Dashed target lines, each labelled at the first of four places (right or left end, above or below the line) where
 * the label covers nothing in `avoid`, else nothing but soft boxes: a bar's caption can sit at the line's height (a
 * synth of 4.48 s under a 5 s target did, and the two texts were printed over each other).
 */
export function referenceLines(
  plot: PlotArea,
  lines: ReferenceLine[],
  y: (v: number) => number,
  avoid: Box[] = [],
): string[] {
  return lines.flatMap((line) => {
    const at = y(line.value);
    const places = [
      { x: plot.right - 4, y: at - 5, anchor: "end" as const },
      { x: plot.right - 4, y: at + 14, anchor: "end" as const },
      { x: plot.left + 4, y: at - 5, anchor: "start" as const },
      { x: plot.left + 4, y: at + 14, anchor: "start" as const },
    ];
    const clear = (p: (typeof places)[number], boxes: Box[]) =>
      !boxes.some((b) => overlaps(b, textBox(p.x, p.y, line.label, 11, p.anchor)));
    const hard = avoid.filter((b) => !b.soft);
    const place = places.find((p) => clear(p, avoid)) ?? places.find((p) => clear(p, hard)) ?? places[0];
    return [
      `<line x1="${plot.left}" y1="${at}" x2="${plot.right}" y2="${at}" stroke="${TARGET_RED}" stroke-width="1.5" stroke-dasharray="6 4"/>`,
      text(place.x, place.y, line.label, { size: 11, anchor: place.anchor, fill: TARGET_RED }),
    ];
  });
}

/** One row of legend entries (a swatch and its name), centred under the title. */
export function legend(entries: { name: string; color: string; shape: "line" | "box" }[], y: number): string[] {
  const widths = entries.map((e) => 22 + textWidth(e.name, 12) + 18);
  let x = round((WIDTH - widths.reduce((a, b) => a + b, 0)) / 2);
  return entries.flatMap((e, i) => {
    const swatch =
      e.shape === "line"
        ? `<line x1="${x}" y1="${y - 4}" x2="${x + 16}" y2="${y - 4}" stroke="${e.color}" stroke-width="2.5"/>`
        : `<rect x="${x + 2}" y="${y - 10}" width="12" height="12" fill="${e.color}"/>`;
    const out = [swatch, text(x + 22, y, e.name, { fill: "#333" })];
    x = round(x + widths[i]);
    return out;
  });
}
