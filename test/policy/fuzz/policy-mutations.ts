/**
 * The policy mutation fuzz (issue #19, class 3), shared by the jest suite (fixed seed, small budget) and `npm run
 * fuzz` (longer runs). Each case takes the example policy's files (policies/), mutates one of them the way a careless
 * author or an attacker would, and runs the real pipeline: load + check, the policy tests' loading and running, and
 * compile for every environment when the check passes. A case fails when anything throws, or when a refusal lacks a
 * position that points into the file: an existing line and column, on a line that holds a token for YAML errors, and,
 * for edits that leave earlier lines alone, at least one syntax error at the edited line or the line before it.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import fc from "fast-check";
import { loadCheckedPolicy } from "../../../lib/policy/authoring/checked-policy";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { environmentNames } from "../../../lib/policy/authoring/environments";
import type { PolicyDiagnostic } from "../../../lib/policy/authoring/errors";
import { filesOnDisk, type PolicyFiles } from "../../../lib/policy/authoring/policy-files";
import { loadTestFiles, runPolicyTests } from "../../../lib/policy/review/policy-test";
import { EXAMPLE_DIR, ROOT } from "../helpers";

const disk = filesOnDisk(relative(ROOT, EXAMPLE_DIR));
const FILES = [disk.policyFile, disk.environmentsFile!, ...disk.testFiles];
const ORIGINAL = new Map(FILES.map((f) => [f, readFileSync(`${ROOT}/${f}`, "utf8")]));

export interface Mutation {
  file: string;
  text: string;
  /** What was done, for a counterexample a person can read. */
  steps: string[];
  /** The first line the edits changed, when every line before it is unchanged (else undefined). */
  firstChangedLine?: number;
}

export interface CaseOutcome {
  mutation: Mutation;
  status: "accepted" | "refused" | "crashed";
  compiled: number;
  crash?: string;
  unpositioned: { diagnostic: PolicyDiagnostic; why: string }[];
}

type Edit = (text: string) => { text: string; step: string; line?: number };

const lineCount = (t: string) => t.split("\n").length;
const pick = (n: number) => fc.nat({ max: Math.max(0, n - 1) });

/** The characters YAML gives a meaning to, and some it does not expect. */
const SIGNIFICANT = [":", "-", "{", "}", "[", "]", ",", '"', "'", "#", "&", "*", "!", "|", ">", "%", "@", "`", "?"];
const STRANGE = ["\t", "\u0000", "\u00a0", "\ufeff", "\u202e", "é", "😀", "\r", "\\", "$", "${", "${claims.", "}"];

function edits(original: string): fc.Arbitrary<Edit> {
  const lines = lineCount(original);
  const atLine = (f: (ls: string[], k: number) => string, name: string) =>
    pick(lines).map<Edit>((k) => (text) => {
      const ls = text.split("\n");
      const at = Math.min(k, ls.length - 1);
      ls[at] = f(ls, at);
      return { text: ls.join("\n"), step: `${name} at line ${at + 1}`, line: at + 1 };
    });
  const value = fc.oneof(
    fc.constantFrom(
      "x",
      "1",
      "true",
      "null",
      "~",
      "[]",
      "{}",
      '""',
      "-1",
      "1e999",
      "0x10",
      "2026-01-01",
      "!!binary AA",
    ),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: "grapheme", maxLength: 20 }).map((s) => JSON.stringify(s)),
    fc.string({ unit: "binary", maxLength: 12 }),
  );
  return fc.oneof(
    // Deleted or duplicated lines.
    fc.tuple(pick(lines), fc.integer({ min: 1, max: 3 })).map<Edit>(([k, n]) => (text) => {
      const ls = text.split("\n");
      ls.splice(k, n);
      return { text: ls.join("\n"), step: `delete ${n} line(s) from ${k + 1}`, line: k };
    }),
    pick(lines).map<Edit>((k) => (text) => {
      const ls = text.split("\n");
      ls.splice(k, 0, ls[Math.min(k, ls.length - 1)] ?? "");
      return { text: ls.join("\n"), step: `duplicate line ${k + 1}`, line: k + 1 };
    }),
    // Re-indentation.
    fc
      .tuple(fc.integer({ min: -6, max: 6 }), fc.boolean())
      .chain(([delta, tab]) =>
        atLine(
          (ls, k) =>
            tab
              ? `\t${ls[k]}`
              : delta >= 0
                ? " ".repeat(delta) + ls[k]
                : ls[k].replace(new RegExp(`^ {0,${-delta}}`), ""),
          tab ? "tab-indent" : `re-indent ${delta}`,
        ),
      ),
    // Scalar <-> list <-> map swaps of a `key: value` line's value.
    fc.constantFrom("list", "map", "scalar", "empty-list", "empty-map", "value").chain((to) =>
      value.chain((v) =>
        atLine((ls, k) => {
          const m = /^(\s*(?:- )?[^:#"'{[]+:\s*)(.*)$/.exec(ls[k]);
          if (!m) return ls[k];
          const old = m[2];
          const next =
            to === "list"
              ? `[${old}]`
              : to === "map"
                ? `{ k: ${old} }`
                : to === "scalar"
                  ? old.replace(/^[[{]\s*|\s*[\]}]$/g, "").split(",")[0]
                  : to === "empty-list"
                    ? "[]"
                    : to === "empty-map"
                      ? "{}"
                      : v;
          return m[1] + next;
        }, `swap value to ${to}`),
      ),
    ),
    // Truncation at any byte.
    fc.nat({ max: original.length }).map<Edit>((b) => (text) => ({
      text: text.slice(0, Math.min(b, text.length)),
      step: `truncate at ${b}`,
    })),
    // A character YAML reads as syntax, or one it does not expect, inserted anywhere.
    fc
      .tuple(fc.nat({ max: original.length }), fc.constantFrom(...SIGNIFICANT, ...STRANGE, "\n"))
      .map<Edit>(([at, ch]) => (text) => {
        const i = Math.min(at, text.length);
        const line = text.slice(0, i).split("\n").length;
        return { text: text.slice(0, i) + ch + text.slice(i), step: `insert ${JSON.stringify(ch)} at ${i}`, line };
      }),
    // Anchors and aliases: used within the file, overused, undefined, nested (a billion laughs).
    fc
      .tuple(pick(lines), pick(lines), fc.integer({ min: 1, max: 80 }), fc.constantFrom("a", "x", "nowhere"))
      .map<Edit>(([k, j, uses, name]) => (text) => {
        const ls = text.split("\n");
        const put = (at: number, what: string) => {
          const m = /^(\s*(?:- )?[^:#"'{[]+:\s+)(.*)$/.exec(ls[at] ?? "");
          if (m) ls[at] = `${m[1]}${what}${what.startsWith("&") ? ` ${m[2]}` : ""}`;
        };
        if (name !== "nowhere") put(Math.min(k, ls.length - 1), `&${name}`);
        put(Math.min(j, ls.length - 1), uses === 1 ? `*${name}` : `[${Array(uses).fill(`*${name}`).join(", ")}]`);
        return { text: ls.join("\n"), step: `anchor &${name} line ${k + 1}, ${uses} alias(es) line ${j + 1}` };
      }),
    fc.integer({ min: 2, max: 40 }).map<Edit>((levels) => (text) => {
      const laughs = ["x-l0: &l0 [lol, lol]"];
      for (let i = 1; i < levels; i++) laughs.push(`x-l${i}: &l${i} [*l${i - 1}, *l${i - 1}, *l${i - 1}]`);
      return { text: `${text}\n${laughs.join("\n")}\n`, step: `billion laughs, ${levels} levels` };
    }),
    // Deep nesting: flow, block sequences on one line, and indented block maps.
    fc
      .tuple(fc.constantFrom("flow-seq", "flow-map", "block-seq", "block-map"), fc.integer({ min: 1, max: 4000 }))
      .chain(([shape, depth]) =>
        atLine((ls, k) => {
          const m = /^(\s*(?:- )?[^:#"'{[]+:\s*)(.*)$/.exec(ls[k]);
          const head = m ? m[1] : `${ls[k]} `;
          if (shape === "flow-seq") return `${head}${"[".repeat(depth)}x${"]".repeat(depth)}`;
          if (shape === "flow-map") return `${head}${"{a: ".repeat(depth)}x${"}".repeat(depth)}`;
          if (shape === "block-seq") return `${head}\n${" ".repeat(20)}${"- ".repeat(depth)}x`;
          const indent = /^\s*/.exec(ls[k])![0].length;
          const levels = Math.min(depth, 600);
          return `${head}\n${Array.from({ length: levels }, (_, i) => `${" ".repeat(indent + 2 + i)}k${i}:`).join("\n")} x`;
        }, `nest ${shape} ${depth} deep`),
      ),
    // Huge and non-ASCII strings.
    fc
      .tuple(
        fc.constantFrom(1_000, 100_000, 300_000),
        fc.constantFrom("x", "é", "😀", "\u202e", "a\\u0000", "${claims.tid}"),
      )
      .chain(([size, unit]) =>
        atLine((ls, k) => {
          const m = /^(\s*(?:- )?[^:#"'{[]+:\s*)(.*)$/.exec(ls[k]);
          return `${m ? m[1] : `${ls[k]} `}"${unit.repeat(Math.ceil(size / unit.length))}"`;
        }, `huge string ×${size}`),
      ),
    value.chain((v) => atLine((ls, k) => `${ls[k]} ${v}`, "append a value")),
  );
}

/** One to three edits of one file of the example policy. */
export const policyMutation: fc.Arbitrary<Mutation> = fc.constantFrom(...FILES).chain((file) =>
  fc.array(edits(ORIGINAL.get(file)!), { minLength: 1, maxLength: 3 }).map((list) => {
    let text = ORIGINAL.get(file)!;
    const steps: string[] = [];
    let first: number | undefined = Infinity;
    for (const e of list) {
      const r = e(text);
      text = r.text;
      steps.push(r.step);
      first = r.line === undefined || first === undefined ? undefined : Math.min(first, r.line);
    }
    return { file, text, steps, firstChangedLine: first === Infinity ? undefined : first };
  }),
);

/** Runs the real pipeline on one mutation. Never throws: a throw is the finding. */
export function runMutation(mutation: Mutation): CaseOutcome {
  const files: PolicyFiles = {
    ...disk,
    read: (f) => (f === mutation.file ? mutation.text : ORIGINAL.get(f)!),
  };
  const outcome: CaseOutcome = { mutation, status: "refused", compiled: 0, unpositioned: [] };
  try {
    const loaded = loadCheckedPolicy(files);
    const diagnostics = [...loaded.diagnostics];
    if (loaded.ok) {
      loadTestFiles(loaded.policy, diagnostics);
      const report = runPolicyTests(loaded.policy);
      diagnostics.push(...report.diagnostics);
      // `pr-<n>` stands for every pull-request environment; compile one of them.
      for (const env of environmentNames(loaded.policy.environments.entries)) {
        compilePolicy(loaded.policy, env.replace("<n>", "7"));
        outcome.compiled++;
      }
    }
    const errors = diagnostics.filter((d) => d.severity === "error");
    outcome.status = errors.length === 0 ? "accepted" : "refused";
    for (const d of diagnostics) {
      const why = positionProblem(d, files);
      if (why) outcome.unpositioned.push({ diagnostic: d, why });
    }
    const missed = editMissed(diagnostics, mutation);
    if (missed) outcome.unpositioned.push(missed);
  } catch (e) {
    outcome.status = "crashed";
    outcome.crash = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e);
  }
  return outcome;
}

const YAML_CODES = new Set(["E_YAML", "E_YAML_ALIAS", "E_YAML_LIMIT", "E_DUPLICATE"]);

function positionProblem(d: PolicyDiagnostic, files: PolicyFiles): string | undefined {
  if (!FILES.includes(d.file)) return `names no file of the policy (${d.file})`;
  if (!Number.isInteger(d.line) || !Number.isInteger(d.column)) return "line or column is not an integer";
  if (!d.message || !d.hint) return "no message or no hint";
  const text = files.read(d.file);
  const lines = text.split("\n");
  if (d.line < 1 || d.line > lines.length) return `line ${d.line} is outside the file (${lines.length} lines)`;
  const line = lines[d.line - 1];
  if (d.column < 1 || d.column > line.length + 1) return `column ${d.column} is outside line ${d.line}`;
  if (!YAML_CODES.has(d.code) || d.code === "E_YAML_LIMIT") return undefined;
  const content = line.replace(/^\s+/, "");
  if (content === "" || content.startsWith("#")) return `line ${d.line} holds no token`;
  return undefined;
}

/**
 * Where the edit is known (every line before it unchanged), some syntax error must point at the edited line or the
 * line before it. Not every one: an edit can also turn earlier valid lines into the start of a longer construct (a
 * re-indented line continues the plain scalar above it), and YAML reports that construct where it starts.
 */
function editMissed(diagnostics: PolicyDiagnostic[], m: Mutation): CaseOutcome["unpositioned"][number] | undefined {
  const syntax = diagnostics.filter((d) => d.file === m.file && YAML_CODES.has(d.code) && d.code !== "E_YAML_LIMIT");
  if (m.firstChangedLine === undefined || syntax.length === 0) return undefined;
  if (syntax.some((d) => d.line >= m.firstChangedLine! - 1)) return undefined;
  return {
    diagnostic: syntax[0],
    why: `no syntax error at or after line ${m.firstChangedLine - 1}, the line before the edit at ${m.firstChangedLine}`,
  };
}

export interface FuzzTotals {
  cases: number;
  accepted: number;
  refused: number;
  compiled: number;
  crashes: CaseOutcome[];
  unpositioned: CaseOutcome[];
}

/** `runs` cases from `seed`, collecting every finding instead of stopping at the first (for `npm run fuzz`). */
export function fuzzPolicies(runs: number, seed: number, onCase?: (o: CaseOutcome, i: number) => void): FuzzTotals {
  const totals: FuzzTotals = { cases: 0, accepted: 0, refused: 0, compiled: 0, crashes: [], unpositioned: [] };
  const batch = 200;
  for (let done = 0; done < runs; done += batch) {
    const mutations = fc.sample(policyMutation, { numRuns: Math.min(batch, runs - done), seed: seed + done });
    for (const m of mutations) {
      const o = runMutation(m);
      totals.cases++;
      if (o.status === "accepted") totals.accepted++;
      if (o.status === "refused") totals.refused++;
      totals.compiled += o.compiled > 0 ? 1 : 0;
      if (o.status === "crashed") totals.crashes.push(o);
      if (o.unpositioned.length > 0) totals.unpositioned.push(o);
      onCase?.(o, totals.cases);
    }
  }
  return totals;
}
