/**
 * `npm run bench:synth`: `cdktf synth` of every stack the app makes (broker-bootstrap, broker-dev, broker-prod and
 * broker-pr-42, each broker stack packaging the broker) and `tsc --noEmit` of the CDKTF app and of the whole project.
 * Targets (issue #17): synth <= 5 s and >= 2.5x the template's app, type-check of the app <= 3 s.
 *
 * Every measure runs once per round and the rounds interleave them (this machine is shared: a busy minute then
 * slows every row, not one), after one untimed synth that fills the build cache. Reported: the median of the rounds.
 * Baselines in the same run: the cdktf template's app command (ts-node, type-checking as it runs) on the same stacks,
 * with the build cache (the same code, so the ratio is the app runner's alone) and without it; and `cdktf synth` of an
 * app with one empty stack (synth/empty-app.cjs), the part of a synth no app can shorten.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { emitBenchResult, quick, type BenchFigure } from "./bench-result";

const ROOT = join(__dirname, "..", "..");
const ROUNDS = Number(process.env.BENCH_RUNS ?? (quick ? 1 : 3));
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
const COLD = { TOKEN_BROKER_BUILD_CACHE: "off" };
const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);
const node = process.execPath;
const templateApp = `${bin("ts-node")} stacks/main.ts`;
const tsxApp = ["--require", "./lib/engine/select-engine.cjs", "--import", "tsx", "stacks/main.ts"];

interface Measure {
  id?: string;
  label: string;
  command: [string, string[]];
  extraEnv?: NodeJS.ProcessEnv;
  target?: string;
}

// Quick mode (proves the bench runs, in CI after `npm run typecheck` has type-checked everything): the app alone.
const measures: Measure[] = quick
  ? [
      {
        id: "app-alone",
        label: "app alone: node lib/engine/run-app.cjs stacks/main.ts",
        command: [node, ["lib/engine/run-app.cjs", "stacks/main.ts"]],
      },
    ]
  : [
      {
        id: "cdktf-synth",
        label: "cdktf synth (app: lib/engine/run-app.cjs, build cache filled)",
        command: [bin("cdktf"), ["synth"]],
        target: "<= 5 s",
      },
      {
        id: "cdktf-synth-cold",
        label: "cdktf synth, no build cache (a fresh clone's first synth)",
        command: [bin("cdktf"), ["synth"]],
        extraEnv: COLD,
      },
      {
        id: "cdktf-synth-template",
        label: "baseline: cdktf synth with the template's ts-node app (build cache filled)",
        command: [bin("cdktf"), ["synth", "--app", templateApp]],
      },
      {
        id: "cdktf-synth-template-cold",
        label: "baseline: cdktf synth with the template's ts-node app, no build cache",
        command: [bin("cdktf"), ["synth", "--app", templateApp]],
        extraEnv: COLD,
      },
      {
        id: "cdktf-synth-empty",
        label: "baseline: cdktf synth of an app with one empty stack (the CLI's floor)",
        command: [bin("cdktf"), ["synth", "--app", `node ${join("test", "bench", "synth", "empty-app.cjs")}`]],
      },
      {
        id: "app-alone",
        label: "app alone: node lib/engine/run-app.cjs stacks/main.ts",
        command: [node, ["lib/engine/run-app.cjs", "stacks/main.ts"]],
      },
      {
        id: "app-alone-cold",
        label: "app alone, no build cache",
        command: [node, ["lib/engine/run-app.cjs", "stacks/main.ts"]],
        extraEnv: COLD,
      },
      {
        id: "app-alone-tsx",
        label: "app alone under tsx, the runner before (node --import tsx stacks/main.ts)",
        command: [node, tsxApp],
      },
      {
        id: "tsc-app",
        label: "tsc --noEmit, the CDKTF app (stacks/tsconfig.json)",
        command: [bin("tsc"), ["--noEmit", "-p", "stacks/tsconfig.json"]],
        target: "<= 3 s",
      },
      {
        id: "tsc-project",
        label: "tsc --noEmit, whole project (broker SDKs and tests too)",
        command: [bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]],
      },
    ];

function timeOnce({ command: [cmd, args], extraEnv }: Measure): number {
  rmSync(join(ROOT, "cdktf.out"), { recursive: true, force: true });
  const t0 = performance.now();
  execFileSync(cmd, args, { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: "pipe" });
  return (performance.now() - t0) / 1000;
}

// Fills the build cache (the bundles and packages as they are now), so "filled" rows measure an unchanged synth.
execFileSync(node, ["lib/engine/run-app.cjs", "stacks/main.ts"], { cwd: ROOT, env, stdio: "pipe" });
const times = new Map<Measure, number[]>(measures.map((m) => [m, []]));
for (let round = 0; round < ROUNDS; round++) for (const m of measures) times.get(m)!.push(timeOnce(m));
const median = (m: Measure) => {
  const sorted = [...times.get(m)!].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const byId = (id: string) => {
  const m = measures.find((x) => x.id === id);
  return m && median(m);
};

const template = byId("cdktf-synth-template");
const templateCold = byId("cdktf-synth-template-cold");
const figures: BenchFigure[] = measures.map((m) => {
  const seconds = median(m);
  const figure: BenchFigure = { id: m.id, label: m.label, value: Number(seconds.toFixed(2)), unit: "s" };
  if (m.target) {
    figure.target = m.target;
    figure.met = seconds <= Number(/[\d.]+/.exec(m.target)![0]);
  }
  if (m.id === "cdktf-synth" && template !== undefined) {
    figure.baseline = Number(template.toFixed(2));
    figure.ratio = template / seconds;
  }
  if (m.id === "cdktf-synth-cold" && templateCold !== undefined) {
    figure.baseline = Number(templateCold.toFixed(2));
    figure.ratio = templateCold / seconds;
  }
  return figure;
});
const synth = byId("cdktf-synth");
const empty = byId("cdktf-synth-empty");
if (synth !== undefined && template !== undefined) {
  figures.push({
    id: "synth-vs-template",
    label: "cdktf synth vs the template's app, both with the build cache filled",
    value: Number((template / synth).toFixed(2)),
    unit: "x",
    target: ">= 2.5x",
    met: template / synth >= 2.5,
  });
  // The most any app could reach against this baseline: the template's synth over the CLI's floor.
  if (empty !== undefined) {
    figures.push({
      id: "synth-vs-template-bound",
      label: "bound: the template's synth vs the CLI's floor (an app that took no time would reach this)",
      value: Number((template / empty).toFixed(2)),
      unit: "x",
    });
  }
}

console.log(
  `\nsynth benchmark: 4 stacks (bootstrap, dev, prod, pr-42), median of ${ROUNDS} interleaved rounds, node ${process.version}\n`,
);
console.log("| measure | seconds | runs | target |\n| --- | --- | --- | --- |");
for (const m of measures) {
  const runs = times
    .get(m)!
    .map((s) => s.toFixed(2))
    .join(", ");
  console.log(`| ${m.label} | ${median(m).toFixed(2)} | ${runs} | ${m.target ?? ""} |`);
}
emitBenchResult({
  bench: "synth",
  figures,
  notes: [
    `median of ${ROUNDS} interleaved rounds after one untimed synth; ratio: how many times faster than the template's app in the same cache state`,
  ],
});
