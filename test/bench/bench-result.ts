/**
 * What every benchmark hands the report runner (test/bench/run-all.ts): its figures as JSON, each beside its
 * baseline or target. Written to BENCH_RESULT_FILE when the runner sets it, and always printed as the last line
 * (`BENCH_RESULT {...}`) so a bench run by hand can be collected too. BENCH_QUICK=1 (or --quick): small counts,
 * seconds; it proves the bench still runs, its figures mean little.
 */
import { writeFileSync } from "node:fs";

export interface BenchFigure {
  /**
   * A stable name for tools that read the report (the charts, charts/report-charts.ts), where a figure has one:
   * labels are for people and change with the bench's parameters. Reports written before ids existed have none.
   */
  id?: string;
  label: string;
  value: number | string;
  unit?: string;
  /** What the same run measured for the baseline, when there is one. */
  baseline?: number | string;
  /** The target, as text (">= 0.5x raw", "<= 5 ms"). */
  target?: string;
  /** ours / baseline (or ours / reference), when meaningful. */
  ratio?: number;
  /** Whether the target is met; absent when there is no target. */
  met?: boolean;
}

export interface BenchResult {
  bench: string;
  quick: boolean;
  figures: BenchFigure[];
  /** Series worth plotting or tabulating (the soak's memory curve). */
  series?: Record<string, { x: number; y: number }[]>;
  notes?: string[];
}

export const quick = process.env.BENCH_QUICK === "1" || process.argv.includes("--quick");

export function emitBenchResult(result: Omit<BenchResult, "quick">): void {
  const full: BenchResult = { ...result, quick };
  const text = JSON.stringify(full);
  if (process.env.BENCH_RESULT_FILE) writeFileSync(process.env.BENCH_RESULT_FILE, text);
  process.stdout.write(`BENCH_RESULT ${text}\n`);
}
