/**
 * What CI relies on when it runs `npm run bench -- --quick --out <dir>` (.ci/run): a bench that crashes, or ends
 * without handing back its figures, fails the run with a non-zero exit; a bench that runs and misses a target does
 * not (its figure says "no"); the report goes to --out, never over docs/benchmarks/report.*. Fixture benches, run by
 * the real runner in a real child process.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const benches = mkdtempSync(join(tmpdir(), "tb-run-all-benches-"));
const result = (met: boolean) => `import { writeFileSync } from "node:fs";
writeFileSync(process.env.BENCH_RESULT_FILE!, JSON.stringify({
  bench: "fixture", quick: process.env.BENCH_QUICK === "1",
  figures: [{ label: "rate", value: 1, target: ">= 2", met: ${met} }],
}));
`;
writeFileSync(join(benches, "met.bench.ts"), result(true));
writeFileSync(join(benches, "missed.bench.ts"), result(false));
writeFileSync(join(benches, "crash.bench.ts"), `throw new Error("the bench broke");\n`);
writeFileSync(join(benches, "silent.bench.ts"), `console.log("ran, handed nothing back");\n`);

function runAll(names: string[]) {
  const out = mkdtempSync(join(tmpdir(), "tb-run-all-out-"));
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "test/bench/run-all.ts", "--quick", "--out", out, ...names],
    {
      cwd: ROOT,
      env: { ...process.env, BENCH_DIR: benches },
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
  const status = Object.fromEntries(report.benches.map((e: { bench: string; status: string }) => [e.bench, e.status]));
  return { exit: run.status, status, report, markdown: readFileSync(join(out, "report.md"), "utf8") };
}

const realReport = join(ROOT, "docs", "benchmarks", "report.json");
const realReportAt = statSync(realReport).mtimeMs;
afterAll(() => rmSync(benches, { recursive: true, force: true }));

test("a missed target is a figure, not a failure: exit 0", () => {
  const { exit, status, report, markdown } = runAll(["met", "missed"]);
  expect(exit).toBe(0);
  expect(status).toEqual({ met: "ok", missed: "ok" });
  expect(report.quick).toBe(true);
  expect(report.benches.map((e: { result: { quick: boolean } }) => e.result.quick)).toEqual([true, true]);
  expect(markdown).toContain("| **no** |");
}, 60_000);

test("a bench that crashes or hands back nothing fails the run: non-zero exit, the others still reported", () => {
  const { exit, status } = runAll(["met", "crash", "silent"]);
  expect(exit).toBe(1);
  expect(status).toEqual({ met: "ok", crash: "failed", silent: "failed" });
  expect(statSync(realReport).mtimeMs).toBe(realReportAt);
}, 60_000);
