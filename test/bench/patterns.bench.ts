/**
 * `npm run bench:patterns` (issue #19, class 4): the classic catastrophic claim patterns and globs with a dozen `*`,
 * against 10,000-character values, per evaluation, with the code the broker runs now (RE2 through re2js, the
 * iterative glob and Fluid matchers). Target: well under 1 ms each.
 *
 * Baseline, same run: the code before the fix (a u-mode RegExp for claim patterns and for globs, the quadratic Fluid
 * matcher), kept here only as the baseline. It cannot be run on 10,000 characters (it would not finish), so it runs on
 * growing small values and stops at the first evaluation that takes longer than OLD_CAP_MS; the figure is that value's
 * length and time. With exponential patterns each extra character doubles the time, so the cap bounds the bench.
 */
import { performance } from "node:perf_hooks";
import { compileLinearPattern, matchesGlob } from "../../lib/policy/runtime/linear-match";
import { matchesDocumentPattern } from "../../lib/policy/runtime/template";
import { emitBenchResult, quick, type BenchFigure } from "./bench-result";

const LENGTH = 10_000;
const OLD_CAP_MS = quick ? 20 : 200;
const TARGET_MS = 1;

/** The pre-fix condition-glob translation (lib/policy/runtime/template.ts before issue #19). */
function oldGlobRegExp(glob: string): RegExp {
  let out = "^";
  for (const ch of glob) {
    if (ch === "*") out += "[\\s\\S]*";
    else if (ch === "?") out += "[\\s\\S]";
    else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(out + "$", "u");
}

/** The pre-fix Fluid document matcher: a fresh row per pattern character, a forward scan per reachable start. */
function oldMatchesDocumentPattern(pattern: string, id: string): boolean {
  let reachable = new Uint8Array(id.length + 1);
  reachable[0] = 1;
  for (const ch of pattern) {
    const next = new Uint8Array(id.length + 1);
    if (ch === "*") {
      for (let j = 0; j < id.length; j++) {
        if (!reachable[j]) continue;
        for (let k = j; k < id.length && id[k] !== "/"; k++) next[k + 1] = 1;
      }
    } else {
      for (let j = 0; j < id.length; j++) if (reachable[j] && id[j] === ch) next[j + 1] = 1;
    }
    reachable = next;
  }
  return reachable[id.length] === 1;
}

/** Mean milliseconds per call over enough calls to take ~200 ms (quick: ~20 ms). */
function perCall(fn: () => unknown): number {
  fn(); // warm-up (and compile caches)
  const budget = quick ? 20 : 200;
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budget || calls < 5) {
    fn();
    calls++;
  }
  return (performance.now() - t0) / calls;
}

/** The old code on growing values until one evaluation exceeds the cap: the largest length tried and its time. */
function oldUntilCap(run: (n: number) => unknown, grow: (n: number) => number, start: number) {
  let n = start;
  for (;;) {
    const t0 = performance.now();
    run(n);
    const ms = performance.now() - t0;
    if (ms > OLD_CAP_MS || n >= LENGTH) return { n, ms };
    n = grow(n);
  }
}

const figures: BenchFigure[] = [];
const notes: string[] = [];
const rows: string[] = [];

function record(label: string, newMs: number, old: { n: number; ms: number }) {
  const oldText = `${old.ms.toFixed(1)} ms at ${old.n} chars`;
  figures.push({
    label: `${label}, 10,000 chars`,
    value: Number((newMs * 1000).toFixed(1)),
    unit: "µs",
    baseline: `old: ${oldText}`,
    target: `< ${TARGET_MS * 1000} µs`,
    met: newMs < TARGET_MS,
  });
  rows.push(`  ${label.padEnd(40)} new ${(newMs * 1000).toFixed(1).padStart(8)} µs   old ${oldText}`);
}

// Claim patterns: the broker anchors them as ^(?:p)$ and tests the claim value.
const PATTERNS: { source: string; value: (n: number) => string }[] = [
  { source: "^(a+)+$", value: (n) => "a".repeat(n) + "!" },
  { source: "(a|aa)+$", value: (n) => "a".repeat(n) + "!" },
  { source: "^(a|a?)+$", value: (n) => "a".repeat(n) + "!" },
  { source: "(.*a){12}", value: (n) => "a".repeat(n) + "!" },
  { source: "^(\\w+\\s?)*$", value: (n) => "a".repeat(n) + "!" },
  { source: "^([a-z0-9]+-?)+$", value: (n) => "a".repeat(n) + "!" },
];
for (const { source, value } of PATTERNS) {
  const anchored = `^(?:${source})$`;
  const linear = compileLinearPattern(anchored);
  const long = value(LENGTH);
  const ms = perCall(() => linear.test(long));
  const backtracking = new RegExp(anchored, "u");
  const old = source.includes("{12}")
    ? oldUntilCap(
        (n) => backtracking.test(value(n)),
        (n) => Math.ceil(n * 1.25),
        8,
      )
    : oldUntilCap(
        (n) => backtracking.test(value(n)),
        (n) => n + 1,
        12,
      );
  record(`pattern ${source}`, ms, old);
}

// Condition globs with a dozen stars.
const GLOBS: { glob: string; value: (n: number) => string }[] = [
  { glob: "*a".repeat(12) + "*b", value: (n) => "a".repeat(n) },
  { glob: "*?".repeat(12) + "*x", value: (n) => "ab".repeat(n / 2) },
];
for (const { glob, value } of GLOBS) {
  const long = value(LENGTH);
  const ms = perCall(() => matchesGlob(glob, long));
  const backtracking = oldGlobRegExp(glob);
  const old = oldUntilCap(
    (n) => backtracking.test(value(n)),
    (n) => Math.ceil(n * 1.25),
    8,
  );
  record(`glob ${glob}`, ms, old);
}

// Fluid document patterns (already a direct matcher before; quadratic in the id for each '*').
{
  const pattern = "*-".repeat(12) + "*";
  const id = "-".repeat(LENGTH);
  const ms = perCall(() => matchesDocumentPattern(pattern, id));
  const old = oldUntilCap(
    (n) => oldMatchesDocumentPattern(pattern, "-".repeat(n)),
    (n) => Math.min(LENGTH, n * 2),
    500,
  );
  record(`fluid documents ${pattern}`, ms, old);
}

console.log(`bench:patterns  per evaluation; old code capped at ${OLD_CAP_MS} ms per evaluation`);
for (const r of rows) console.log(r);
notes.push(
  `Old code = the matchers before issue #19 (backtracking u-mode RegExp; quadratic Fluid matcher), run on growing ` +
    `values until one evaluation took over ${OLD_CAP_MS} ms; its figure is that length and time (it cannot finish ` +
    `on 10,000 characters). New code = what the broker runs now, on 10,000 characters.`,
);
emitBenchResult({ bench: "patterns", figures, notes });
