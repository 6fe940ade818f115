/**
 * What a claim's declaration proves about its values, for the template collision check (issue 7, item 1):
 * a fixed length, and which characters a value can never hold. Conservative by design: anything this module cannot
 * prove is reported as "may hold any character, any length", so the check can only err towards refusing a policy.
 *
 * What counts as proof (README "Template collisions"):
 * - `format: uuid`: 36 characters of hex digits and '-'.
 * - `enum`: exactly the listed values.
 * - `pattern`: only a plain sequence of atoms (a literal character, an escape such as `\d`, a character class
 *   `[...]`, or `.`), each with an optional quantifier (`?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}`), optionally between
 *   `^` and `$`. Groups and alternation prove nothing. Whether an atom can match a character is decided by running
 *   that atom alone through the same linear-time engine the broker uses (RE2), not by re-implementing class syntax.
 * - `type: number`: the digits, '.', '-' and 'e' of JavaScript's number-to-string.
 * And whatever the declaration, a value never holds what the run-time value filter refuses (`/`, `*`, non-ASCII...).
 */
import { compileLinearPattern, type LinearPattern } from "../runtime/linear-match";
import { mayAppearInValue, UUID_PATTERN } from "../runtime/template";
import type { ClaimDeclaration } from "./source-types";

export interface ClaimShape {
  /** Every accepted value has exactly this many characters (ASCII only, so code units = characters). */
  fixedLength?: number;
  /** False only when no accepted value can hold `ch`. */
  mayContain(ch: string): boolean;
  /** Accepts the value (declared pattern, format, enum); used to pick example values that a real token could carry. */
  accepts(value: string): boolean;
  /** Values the declaration names (an enum), tried first when the check looks for colliding examples. */
  samples: string[];
  /** How the declaration reads, for messages: `format: uuid`, `pattern ^[a-z]+$`, `a plain string`. */
  describe: string;
}

interface Atom {
  source: string;
  min: number;
  max: number;
}

const NUMBER_CHARS = /^[0-9.e-]$/;

export function claimShape(decl: ClaimDeclaration): ClaimShape {
  const filters: ((v: string) => boolean)[] = [];
  let fixedLength: number | undefined;
  let excluded: (ch: string) => boolean = () => false;
  let describe = "a plain string";
  if (decl.type === "number") {
    excluded = (ch) => !NUMBER_CHARS.test(ch);
    filters.push((v) => v !== "" && Number.isFinite(Number(v)) && String(Number(v)) === v);
    describe = "a number";
  }
  const pattern = decl.format === "uuid" ? UUID_PATTERN : decl.pattern;
  if (pattern !== undefined) {
    const compiled = tryPattern(`^(?:${pattern})$`);
    if (compiled) filters.push((v) => compiled.test(v));
    const atoms = compiled ? parseAtoms(pattern) : undefined;
    if (atoms) {
      const total = atoms.reduce((n, a) => n + a.min, 0);
      if (atoms.every((a) => a.min === a.max)) fixedLength = total;
      const tests = atoms.filter((a) => a.max > 0).map((a) => tryPattern(`^(?:${a.source})$`)!);
      excluded = (ch) => tests.every((t) => !t.test(ch));
    }
    describe = decl.format === "uuid" ? "format: uuid" : `pattern ${pattern}`;
  }
  if (decl.enum !== undefined) {
    const values = decl.enum.map(String);
    filters.push((v) => values.includes(v));
    const lengths = new Set(values.map((v) => v.length));
    if (lengths.size === 1) fixedLength = values[0].length;
    const before = excluded;
    excluded = (ch) => before(ch) || values.every((v) => !v.includes(ch));
    describe = `enum [${values.join(", ")}]`;
  }
  return {
    fixedLength,
    mayContain: (ch) => mayAppearInValue(ch) && !excluded(ch),
    accepts: (v) => filters.every((f) => f(v)),
    samples: decl.enum?.map(String) ?? [],
    describe,
  };
}

/**
 * The shape of a claim as several issuers declare it (a role may accept tokens from more than one): a character is
 * excluded only if every declaration excludes it, and a length is fixed only if every declaration fixes the same one.
 */
export function combinedShape(shapes: ClaimShape[]): ClaimShape {
  if (shapes.length === 1) return shapes[0];
  const lengths = new Set(shapes.map((s) => s.fixedLength));
  const [length] = lengths;
  return {
    fixedLength: lengths.size === 1 ? length : undefined,
    mayContain: (ch) => shapes.some((s) => s.mayContain(ch)),
    accepts: (v) => shapes.some((s) => s.accepts(v)),
    samples: shapes.flatMap((s) => s.samples),
    describe: [...new Set(shapes.map((s) => s.describe))].join(" or "),
  };
}

/** The pattern as a flat list of quantified single-character atoms, or undefined when it is anything else. */
export function parseAtoms(pattern: string): Atom[] | undefined {
  let i = 0;
  let end = pattern.length;
  if (pattern.startsWith("^")) i = 1;
  if (end > i && pattern.endsWith("$") && !isEscaped(pattern, end - 1)) end -= 1;
  const atoms: Atom[] = [];
  while (i < end) {
    const start = i;
    const ch = pattern[i];
    if (ch === "[") {
      i = classEnd(pattern, i, end);
      if (i < 0) return undefined;
    } else if (ch === "\\") {
      const next = pattern[i + 1];
      // Character-class escapes and escaped punctuation only: \b \B (assertions), \1 (backreference), \u, \x, \p,
      // \c, \k would need more syntax than this conservative reader handles.
      if (next === undefined || !/[dDwWsS.\\\-[\]{}()*+?^$|/]/.test(next)) return undefined;
      i += 2;
    } else if ("()|^$*+?{}]".includes(ch)) {
      return undefined;
    } else {
      i += ch.length;
    }
    const atom = pattern.slice(start, i);
    const q = readQuantifier(pattern, i, end);
    if (!q) return undefined;
    i = q.next;
    if (!tryPattern(`^(?:${atom})$`)) return undefined;
    atoms.push({ source: atom, min: q.min, max: q.max });
  }
  return atoms;
}

function classEnd(p: string, i: number, end: number): number {
  let j = i + 1;
  if (p[j] === "^") j++;
  for (; j < end; j++) {
    if (p[j] === "\\") j++;
    else if (p[j] === "[")
      return -1; // nested or v-mode syntax: not handled
    else if (p[j] === "]") return j + 1;
  }
  return -1;
}

function readQuantifier(p: string, i: number, end: number): { min: number; max: number; next: number } | undefined {
  let q: { min: number; max: number; next: number };
  const ch = p[i];
  if (i >= end) return { min: 1, max: 1, next: i };
  if (ch === "?") q = { min: 0, max: 1, next: i + 1 };
  else if (ch === "*") q = { min: 0, max: Infinity, next: i + 1 };
  else if (ch === "+") q = { min: 1, max: Infinity, next: i + 1 };
  else if (ch === "{") {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, end));
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
    q = { min, max, next: i + m[0].length };
  } else return { min: 1, max: 1, next: i };
  if (p[q.next] === "?" && q.next < end) q.next += 1; // lazy: same language
  if (q.next < end && "?*+{".includes(p[q.next])) return undefined;
  return q;
}

function isEscaped(p: string, at: number): boolean {
  let n = 0;
  for (let j = at - 1; j >= 0 && p[j] === "\\"; j--) n++;
  return n % 2 === 1;
}

function tryPattern(source: string): LinearPattern | undefined {
  try {
    return compileLinearPattern(source);
  } catch {
    return undefined;
  }
}
