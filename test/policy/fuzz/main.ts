/**
 * `npm run fuzz [-- --runs <n>] [--seed <n>]` (or FUZZ_RUNS, FUZZ_SEED): the policy mutation fuzz
 * (policy-mutations.ts) for longer than the jest suite runs it. Prints cases run, refused and accepted policies,
 * crashes and unpositioned refusals (each with a reproducible seed and its edits); exit 1 when either is not zero.
 */
import { fuzzPolicies, type CaseOutcome } from "./policy-mutations";

function option(name: string, env: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.env[env];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} (${env}) must be a whole number, not ${raw}`);
    process.exit(2);
  }
  return n;
}

const runs = option("runs", "FUZZ_RUNS", 2_000);
const seed = option("seed", "FUZZ_SEED", Date.now() % 1_000_000);
const t0 = Date.now();
let slowest = { ms: 0, steps: [] as string[] };
let last = Date.now();
const totals = fuzzPolicies(runs, seed, (o, i) => {
  const now = Date.now();
  // The first case also pays for loading and compiling the modules.
  if (i > 1 && now - last > slowest.ms) slowest = { ms: now - last, steps: o.mutation.steps };
  last = now;
  if (i % 500 === 0) console.log(`  ${i} cases, ${((now - t0) / 1000).toFixed(0)} s`);
});

const show = (o: CaseOutcome) =>
  `  ${o.mutation.file}: ${o.mutation.steps.join("; ")}\n    ${
    o.crash?.split("\n").slice(0, 4).join("\n    ") ??
    o.unpositioned
      .map((u) => `${u.diagnostic.line}:${u.diagnostic.column} ${u.diagnostic.code}: ${u.why}`)
      .join("\n    ")
  }`;
console.log(`policy mutation fuzz, seed ${seed}`);
console.log(`  cases run:             ${totals.cases}`);
console.log(`  refused (positioned):  ${totals.refused - totals.unpositioned.length}`);
console.log(`  accepted:              ${totals.accepted} (compiled for every environment: ${totals.compiled})`);
console.log(`  crashes:               ${totals.crashes.length}`);
console.log(`  unpositioned refusals: ${totals.unpositioned.length}`);
console.log(
  `  time:                  ${((Date.now() - t0) / 1000).toFixed(1)} s; slowest case ${slowest.ms} ms (${slowest.steps.join("; ")})`,
);
for (const o of totals.crashes.slice(0, 5)) console.log(`crash:\n${show(o)}`);
for (const o of totals.unpositioned.slice(0, 5)) console.log(`unpositioned:\n${show(o)}`);
process.exitCode = totals.crashes.length + totals.unpositioned.length > 0 ? 1 : 0;
