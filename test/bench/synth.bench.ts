/**
 * `npm run bench:synth`: `cdktf synth` of all stacks (dev, prod and pr-<n>, each bundling the broker package) and
 * `tsc --noEmit` of the CDKTF app and of the whole project, median of 3 runs.
 * Targets (issue #4): synth <= 5 s, type-check <= 3 s. Baseline in the same run: the cdktf template's default app
 * command, ts-node (type-checking while it runs), on the same stacks.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { emitBenchResult, quick } from "./bench-result";

const ROOT = join(__dirname, "..", "..");
const RUNS = Number(process.env.BENCH_RUNS ?? (quick ? 1 : 3));
// As the pull-request workflow synthesizes: in CI, with the pull request's number and remote state (stacks refuse an
// ephemeral environment in CI without it; synthesis only writes the backend block, it never reaches the account).
const env = {
  ...process.env,
  CHECKPOINT_DISABLE: "1",
  TOKEN_BROKER_PR: "42",
  CI: "1",
  TOKEN_BROKER_STATE_RESOURCE_GROUP: "rg-bench-tfstate",
  TOKEN_BROKER_STATE_STORAGE_ACCOUNT: "stbenchtfstate",
  TOKEN_BROKER_STATE_CONTAINER: "tfstate",
};
const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);

function median(cmd: string, args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    rmSync(join(ROOT, "cdktf.out"), { recursive: true, force: true });
    const t0 = performance.now();
    execFileSync(cmd, args, { cwd: ROOT, env, stdio: "pipe" });
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] / 1000;
}

// Quick mode (proves the bench runs, in CI after `npm run typecheck` has type-checked everything): the app alone,
// once; the type-check rows run through the same median().
const rows: [string, number, string][] = quick
  ? [
      [
        "app alone: node --import tsx stacks/main.ts",
        median(process.execPath, ["--import", "tsx", "stacks/main.ts"]),
        "",
      ],
    ]
  : [
      ["cdktf synth (app: node --import tsx, submodule imports)", median(bin("cdktf"), ["synth"]), "<= 5 s"],
      [
        "app alone: node --import tsx stacks/main.ts",
        median(process.execPath, ["--import", "tsx", "stacks/main.ts"]),
        "",
      ],
      [
        "baseline: cdktf synth with the template's ts-node app",
        median(bin("cdktf"), ["synth", "--app", `${bin("ts-node")} stacks/main.ts`]),
        "",
      ],
      [
        "tsc --noEmit, the CDKTF app (stacks/tsconfig.json)",
        median(bin("tsc"), ["--noEmit", "-p", "stacks/tsconfig.json"]),
        "<= 3 s",
      ],
      [
        "tsc --noEmit, whole project (broker SDKs and tests too)",
        median(bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]),
        "",
      ],
    ];
console.log(`\nsynth benchmark: 3 stacks (dev, prod, pr-42), median of ${RUNS}, node ${process.version}\n`);
console.log("| measure | seconds | target |\n| --- | --- | --- |");
for (const [what, s, target] of rows) console.log(`| ${what} | ${s.toFixed(2)} | ${target} |`);
const synth = rows.find((r) => r[0].startsWith("cdktf synth"));
const tsNode = rows.find((r) => r[0].startsWith("baseline"));
const appAlone = rows.find((r) => r[0].startsWith("app alone"));
emitBenchResult({
  bench: "synth",
  figures: rows.map(([label, seconds, target]) => ({
    ...(label === synth?.[0] && { id: "cdktf-synth" }),
    ...(label === tsNode?.[0] && { id: "cdktf-synth-template" }),
    ...(label === appAlone?.[0] && { id: "app-alone" }),
    label,
    value: Number(seconds.toFixed(2)),
    unit: "s",
    ...(target && { target, met: seconds <= Number(/[\d.]+/.exec(target)![0]) }),
    ...(label === synth?.[0] && tsNode && { baseline: Number(tsNode[1].toFixed(2)), ratio: tsNode[1] / seconds }),
  })),
  notes: [`median of ${RUNS}; ratio: how many times faster than the template's ts-node app`],
});
