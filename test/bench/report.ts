/**
 * The shape of docs/benchmarks/report.json, written by the runner (run-all.ts) and read back by it (the next run
 * keeps the benches it did not rerun) and by the charts (charts/report-charts.ts).
 */
import type { BenchResult } from "./bench-result";

export interface ReportEntry {
  bench: string;
  status: "ok" | "failed" | "skipped";
  ranAt: string;
  seconds?: number;
  result?: BenchResult;
  error?: string;
}

export interface Report {
  machine: { cpu: string; cores: number; node: string; platform: string; loadAverageAtStart: number[] };
  generatedAt: string;
  quick: boolean;
  benches: ReportEntry[];
}
