/**
 * `npm run bench [-- [--quick] [--out <dir>] [name ...]]`: runs the benchmarks and writes one report,
 * docs/benchmarks/report.md and report.json: each figure beside its baseline or target and the ratio, with the
 * machine it ran on, and beside them the charts the report holds as SVG (charts/report-charts.ts: soak-memory.svg,
 * load-latency.svg, exchange-rates.svg, synth-time.svg), which report.md and docs/benchmarks.md embed. Benches are test/bench/<name>.bench.ts, discovered (so bench:client and bench:replay join when
 * they exist); naming some runs only those (an absent one is reported as skipped, not an error), and the report
 * keeps the other benches' last results with their dates. Each bench hands its figures back as JSON
 * (bench-result.ts). `--quick`: small counts, to prove the benches run; it writes to a temporary directory unless
 * --out says otherwise, so it never replaces the real report. `--from <name>=<file>`: take that bench's result
 * from a file it wrote (BENCH_RESULT_FILE, or its `BENCH_RESULT {...}` line) instead of running it again, e.g. after
 * a long load run started by hand. `--charts-only`: run no bench and leave report.json and report.md as they are;
 * redraw the charts from the report.json already in the out folder (default docs/benchmarks), e.g. after a change
 * to the charts. BENCH_DIR: where the benches are (default: this folder; the runner's own test points it at fixture
 * benches).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchResult } from "./bench-result";
import { writeCharts, type Chart } from "./charts/report-charts";
import type { Report, ReportEntry as Entry } from "./report";

const ROOT = join(__dirname, "..", "..");
const args = process.argv.slice(2);
const quickMode = args.includes("--quick");
const outIndex = args.indexOf("--out");
const outDir =
  outIndex >= 0
    ? args[outIndex + 1]
    : quickMode
      ? mkdtempSync(join(tmpdir(), "tb-bench-quick-"))
      : join(ROOT, "docs", "benchmarks");
const fromArgs = args.flatMap((a, i) => (args[i - 1] === "--from" ? [a] : []));
const named = args.filter(
  (a, i) => !a.startsWith("--") && (outIndex < 0 || i !== outIndex + 1) && args[i - 1] !== "--from",
);
const ORDER = ["policy", "patterns", "synth", "broker", "client", "replay", "load"];
const BENCH_DIR = process.env.BENCH_DIR ?? __dirname;
const available = readdirSync(BENCH_DIR)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.replace(/\.bench\.ts$/, ""))
  .sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b));
const wanted = named.length > 0 || fromArgs.length > 0 ? named : available;

if (args.includes("--charts-only")) {
  const reportFile = join(outDir, "report.json");
  if (!existsSync(reportFile)) {
    console.error(`--charts-only: no report to draw from at ${reportFile} (--out names the folder)`);
    process.exit(2);
  }
  const charts = writeCharts(outDir, JSON.parse(readFileSync(reportFile, "utf8")) as Report);
  console.log(`charts: ${charts.map((c) => join(outDir, c.file)).join(", ") || "none (no series in the report)"}`);
  process.exit(0);
}

const previous: Report | undefined = existsSync(join(outDir, "report.json"))
  ? JSON.parse(readFileSync(join(outDir, "report.json"), "utf8"))
  : undefined;
const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: availableParallelism(),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
};
const entries = new Map<string, Entry>((previous?.benches ?? []).map((e) => [e.bench, e]));
let failed = 0;
for (const spec of fromArgs) {
  const [name, file] = spec.split("=");
  const text = readFileSync(file, "utf8").trim();
  const line = text
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("BENCH_RESULT ") || l.startsWith("{"))!;
  const result = JSON.parse(line.replace(/^BENCH_RESULT /, "")) as BenchResult;
  entries.set(name, { bench: name, status: "ok", ranAt: statSync(file).mtime.toISOString(), result });
}

for (const name of wanted) {
  const file = join(BENCH_DIR, `${name}.bench.ts`);
  if (!existsSync(file)) {
    console.log(`bench ${name}: absent, skipped`);
    entries.set(name, {
      bench: name,
      status: "skipped",
      ranAt: new Date().toISOString(),
      error: "no such bench in this checkout",
    });
    continue;
  }
  const resultFile = join(mkdtempSync(join(tmpdir(), "tb-bench-")), "result.json");
  console.log(`bench ${name}${quickMode ? " (quick)" : ""} ...`);
  const t0 = Date.now();
  const run = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", file], {
    cwd: ROOT,
    env: { ...process.env, BENCH_RESULT_FILE: resultFile, ...(quickMode && { BENCH_QUICK: "1" }) },
    stdio: ["ignore", "inherit", "inherit"],
    timeout: (quickMode ? 300 : 7200) * 1000,
  });
  const seconds = Number(((Date.now() - t0) / 1000).toFixed(1));
  if (run.status === 0 && existsSync(resultFile)) {
    entries.set(name, {
      bench: name,
      status: "ok",
      ranAt: new Date().toISOString(),
      seconds,
      result: JSON.parse(readFileSync(resultFile, "utf8")),
    });
  } else {
    failed++;
    entries.set(name, {
      bench: name,
      status: "failed",
      ranAt: new Date().toISOString(),
      seconds,
      error: run.error?.message ?? `exit ${run.status ?? run.signal}`,
    });
  }
}

const report: Report = {
  machine,
  generatedAt: new Date().toISOString(),
  quick: quickMode,
  benches: [...entries.values()].sort(
    (a, b) => (ORDER.indexOf(a.bench) + 1 || 99) - (ORDER.indexOf(b.bench) + 1 || 99),
  ),
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
const charts = writeCharts(outDir, report);
writeFileSync(join(outDir, "report.md"), renderMarkdown(report, charts));
console.log(
  `report: ${join(outDir, "report.md")}${charts.length > 0 ? ` and ${charts.length} chart(s) beside it` : ""}`,
);
if (failed > 0) {
  console.error(`${failed} bench(es) failed`);
  process.exit(1);
}

function renderMarkdown(r: Report, charts: Chart[]): string {
  const fmt = (v: unknown): string =>
    typeof v === "number"
      ? Number.isInteger(v)
        ? v.toLocaleString("en")
        : v.toFixed(2)
      : v === undefined
        ? ""
        : String(v);
  const cell = (v: unknown) => fmt(v).replace(/\|/g, "\\|");
  const lines = [
    "# Benchmark report",
    "",
    `Generated by \`npm run bench\` (test/bench/run-all.ts)${r.quick ? " in --quick mode: the figures prove the benches run, not the targets" : ""}.`,
    "",
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}, ${r.machine.platform}; load average when this report was written: ${r.machine.loadAverageAtStart.join(" / ")}.`,
    "Where the load average is above the core count the machine was shared: absolute rates are low and noisy, and only ratios measured side by side in one run (interleaved rounds) compare.",
    "",
  ];
  for (const e of r.benches) {
    lines.push(`## ${e.bench}`, "");
    if (e.status !== "ok" || !e.result) {
      lines.push(`${e.status}: ${e.error ?? ""} (${e.ranAt})`, "");
      continue;
    }
    lines.push(
      `Ran ${e.ranAt}${e.result.quick ? " (quick)" : ""}${e.seconds === undefined ? "" : `, ${e.seconds} s`}.`,
      "",
    );
    lines.push("| measure | value | baseline | target | ratio | met |", "| --- | --- | --- | --- | --- | --- |");
    for (const f of e.result.figures) {
      lines.push(
        `| ${cell(f.label)} | ${cell(f.value)}${f.unit ? ` ${f.unit}` : ""} | ${cell(f.baseline)} | ${cell(f.target)} | ${f.ratio === undefined ? "" : `${f.ratio.toFixed(2)}x`} | ${f.met === undefined ? "" : f.met ? "yes" : "**no**"} |`,
      );
    }
    lines.push("");
    for (const chart of charts.filter((c) => c.bench === e.bench)) lines.push(`![${chart.title}](${chart.file})`, "");
    for (const [name, points] of Object.entries(e.result.series ?? {})) {
      lines.push(
        `${name}:`,
        "",
        "| x | y |",
        "| --- | --- |",
        ...points.map((p) => `| ${fmt(p.x)} | ${fmt(p.y)} |`),
        "",
      );
    }
    for (const n of e.result.notes ?? []) lines.push(`- ${n}`);
    if (e.result.notes?.length) lines.push("");
  }
  return `${lines.join("\n")}\n`;
}
