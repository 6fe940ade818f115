/**
 * Which charts a benchmark report holds, and writing them: the soak's memory curve, latency under load, the
 * fresh-token exchange beside its yardsticks, and cdktf synth beside the template's app. A chart is drawn only when
 * the report has its figures (a --quick run skips some, a bench may have failed); a chart file the report no longer
 * supports is removed, so the folder never shows a figure from an older run as if it were this one's.
 *
 * Figures are found by their `id`; reports written before figures had ids (docs/benchmarks/report.json of
 * 2026-11-26) are read by the labels those benches printed then.
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchFigure, BenchResult } from "../bench-result";
import type { Report } from "../report";
import { renderBarChart, type Bar } from "./bar-chart";
import { renderLineChart } from "./line-chart";
import { formatNumber } from "./svg";

export interface Chart {
  /** The bench whose figures it draws: report.md shows the chart in that bench's section. */
  bench: string;
  /** The file name, beside report.md. */
  file: string;
  /** What the chart shows, for the image's alt text. */
  title: string;
  svg: string;
}

interface ChartSource {
  file: string;
  bench: string;
  draw(result: BenchResult): { title: string; svg: string | undefined };
}

/** A figure by its id or, in a report older than ids, by the label its bench printed then. */
function figureOf(result: BenchResult, id: string, oldLabel: (label: string) => boolean): BenchFigure | undefined {
  return result.figures.find((f) => f.id === id) ?? result.figures.find((f) => f.id === undefined && oldLabel(f.label));
}

/** A figure's number; undefined when it is absent or not a number. */
function valueOf(result: BenchResult, id: string, oldLabel: (label: string) => boolean): number | undefined {
  const value = figureOf(result, id, oldLabel)?.value;
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** The number in a figure's target such as "< 200 MB" or "<= 5 s", for a reference line. */
function targetOf(result: BenchResult, id: string, oldLabel: (label: string) => boolean): number | undefined {
  const match = /^\s*<=?\s*([\d,]+(?:\.\d+)?)/.exec(figureOf(result, id, oldLabel)?.target ?? "");
  return match ? Number(match[1].replace(/,/g, "")) : undefined;
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const soakMemory: ChartSource = {
  file: "soak-memory.svg",
  bench: "load",
  draw(result) {
    const series = result.series ?? {};
    const curve = (name: string) => series[name] ?? [];
    const rss = curve("soak RSS (MB) by subjects");
    const subjects = Math.max(0, ...rss.map((p) => p.x));
    const target = targetOf(result, "soak-peak-rss", (l) => l.startsWith("soak: peak resident memory"));
    const title = `Soak: memory over ${formatNumber(subjects)} distinct subjects`;
    return {
      title,
      svg: renderLineChart({
        title,
        subtitle: "after a forced GC at each point; the first fifth is warm-up (the rate limiter fills)",
        xAxis: { label: "distinct subjects exchanged", unit: "count" },
        yAxis: { label: "memory", unit: "MB" },
        series: [
          { name: "resident set (RSS)", points: rss },
          { name: "V8 heap committed", points: curve("soak heap committed (MB) by subjects") },
          { name: "V8 heap in use", points: curve("soak heap used (MB) by subjects") },
        ],
        references: target === undefined ? [] : [{ value: target, label: `target: peak RSS < ${target} MB` }],
      }),
    };
  },
};

const loadLatency: ChartSource = {
  file: "load-latency.svg",
  bench: "load",
  draw(result) {
    const percentile = (p: string) => valueOf(result, `latency-${p}`, (l) => l === `latency ${p}`);
    const bars: Bar[] = ["p50", "p99", "p99.9"].flatMap((p) => {
      const value = percentile(p);
      return value === undefined ? [] : [{ label: p, value, group: "broker over node:http, autocannon load" }];
    });
    const max = percentile("max");
    const throughput = valueOf(result, "throughput", (l) => l === "throughput");
    const title = "Latency under load, by percentile";
    const context = [
      ...(throughput === undefined ? [] : [`${formatNumber(throughput)} req/s on average`]),
      ...(max === undefined ? [] : [`max ${formatNumber(max)} ms (not drawn)`]),
    ];
    return {
      title,
      svg: renderBarChart({
        title,
        subtitle: context.length > 0 ? context.join("; ") : undefined,
        yAxis: { label: "latency", unit: "ms" },
        bars,
      }),
    };
  },
};

const exchangeRates: ChartSource = {
  file: "exchange-rates.svg",
  bench: "broker",
  draw(result) {
    const raw = valueOf(result, "raw-verify-rate", (l) => l.startsWith("raw node:crypto RS256 verify"));
    const floor = valueOf(
      result,
      "floor-exchange-rate",
      (l) => l.startsWith("floor exchange") && l.endsWith("raw verify"),
    );
    const fresh = valueOf(
      result,
      "fresh-exchange-rate",
      (l) => l.startsWith("fresh-token exchange") && l.endsWith("raw verify"),
    );
    const title = "Fresh-token exchange beside its yardsticks";
    if (raw === undefined || fresh === undefined) return { title, svg: undefined };
    const yardstick = "yardsticks, same rounds and key";
    const bars: Bar[] = [
      { label: "raw RS256 verify (node:crypto)", value: raw, group: yardstick },
      ...(floor === undefined
        ? []
        : [
            {
              label: "floor exchange (the least any exchange does)",
              value: floor,
              group: yardstick,
              note: `${ratio(floor, raw)} raw`,
            },
          ]),
      {
        label: "fresh-token exchange (the broker)",
        value: fresh,
        group: "the broker",
        note: `${ratio(fresh, raw)} raw${floor === undefined ? "" : `, ${ratio(fresh, floor)} floor`}`,
      },
    ];
    return {
      title,
      svg: renderBarChart({
        title,
        subtitle: "interleaved rounds in one process; higher is better",
        yAxis: { label: "rate", unit: "per second" },
        valueSuffix: "/s",
        bars,
        referenceGroups: [yardstick],
      }),
    };
  },
};

const synthTime: ChartSource = {
  file: "synth-time.svg",
  bench: "synth",
  draw(result) {
    const synth = valueOf(result, "cdktf-synth", (l) => l.startsWith("cdktf synth"));
    const template = valueOf(result, "cdktf-synth-template", (l) => l.startsWith("baseline: cdktf synth"));
    const optional = (id: string) => valueOf(result, id, () => false);
    const target = targetOf(result, "cdktf-synth", (l) => l.startsWith("cdktf synth"));
    const title = "cdktf synth: this project's app beside the template's";
    if (synth === undefined || template === undefined) return { title, svg: undefined };
    const baseline = "baseline: the template's ts-node app, the CLI alone";
    // Reports before issue 17's runner ran the app with tsx.
    const ours =
      optional("app-alone-tsx") === undefined ? "this project (node --import tsx)" : "this project (run-app.cjs)";
    const bar = (label: string, value: number | undefined, group: string, note?: string) =>
      value === undefined ? [] : [{ label, value, group, ...(note && { note }) }];
    const templateCold = optional("cdktf-synth-template-cold");
    const synthCold = optional("cdktf-synth-cold");
    return {
      title,
      svg: renderBarChart({
        title,
        subtitle: `${result.figures.some((f) => f.id === "cdktf-synth-cold") ? "bootstrap, dev, prod and pr-42" : "dev, prod and pr-42"} stacks; median wall time; lower is better`,
        yAxis: { label: "wall time", unit: "s" },
        bars: [
          ...bar("cdktf synth, template's app, no build cache", templateCold, baseline),
          ...bar("cdktf synth, template's app", template, baseline),
          ...bar("cdktf synth, an app with one empty stack", optional("cdktf-synth-empty"), baseline),
          ...bar(
            "cdktf synth, no build cache",
            synthCold,
            ours,
            templateCold && synthCold ? `${ratio(templateCold, synthCold)} faster` : undefined,
          ),
          ...bar("cdktf synth", synth, ours, `${ratio(template, synth)} faster`),
          ...bar(
            "the app alone, no cdktf CLI",
            valueOf(result, "app-alone", (l) => l.startsWith("app alone")),
            ours,
          ),
        ],
        referenceGroups: [baseline],
        references: target === undefined ? [] : [{ value: target, label: `target: cdktf synth <= ${target} s` }],
      }),
    };
  },
};

const SOURCES = [soakMemory, loadLatency, exchangeRates, synthTime];

/** Every chart file the runner may write, whether or not this report has its figures. */
export const CHART_FILES = SOURCES.map((s) => s.file);

export function chartsOf(report: Report): Chart[] {
  return SOURCES.flatMap((source) => {
    const entry = report.benches.find((e) => e.bench === source.bench);
    if (entry?.status !== "ok" || !entry.result) return [];
    const { title, svg } = source.draw(entry.result);
    return svg === undefined ? [] : [{ bench: source.bench, file: source.file, title, svg }];
  });
}

/** Writes the report's charts into `dir` and removes chart files it no longer holds; returns what it wrote. */
export function writeCharts(dir: string, report: Report): Chart[] {
  const charts = chartsOf(report);
  for (const chart of charts) writeFileSync(join(dir, chart.file), chart.svg);
  for (const file of CHART_FILES)
    if (!charts.some((c) => c.file === file) && existsSync(join(dir, file))) rmSync(join(dir, file));
  return charts;
}
