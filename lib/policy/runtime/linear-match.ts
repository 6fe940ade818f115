/**
 * Matching whose time grows linearly with the value, for everything a policy asks the broker to match against
 * values a caller controls (claim patterns, condition globs, Fluid document patterns). A backtracking engine takes
 * exponential time on `^(a+)+$` and on globs with many `*`: one token could stall an instance (issue #19, class 4).
 *
 * - Claim patterns use RE2 syntax (https://github.com/google/re2/wiki/Syntax) through re2js, a pure-JS port of RE2
 *   whose automata read each input character once. RE2 has no backreferences or lookaround (they need backtracking):
 *   such a pattern is refused at check time, naming the construct.
 * - Globs need no regular expression at all: an iterative matcher, at most (pattern length + 1) steps per character.
 *
 * `meter` (optional) counts steps, so tests can prove the bound without timing anything.
 */
import { RE2JS } from "re2js";

export interface StepMeter {
  steps: number;
}

/** A compiled claim pattern; `test` searches like RegExp.prototype.test (the compiler anchors claim patterns). */
export interface LinearPattern {
  readonly source: string;
  test(value: string): boolean;
}

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PatternError";
  }
}

/** Compiles an RE2 pattern; throws PatternError with what is wrong (naming an unsupported construct). */
export function compileLinearPattern(source: string): LinearPattern {
  const construct = unsupportedConstruct(source);
  if (construct) throw new PatternError(`${construct} is not supported: patterns run in linear time (RE2 syntax)`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (e) {
    throw new PatternError((e as Error).message.replace(/^error parsing regexp: /, ""));
  }
  return { source, test: (value) => re.test(value) };
}

/** Why `source` is not an acceptable claim pattern, or undefined. */
export function patternProblem(source: string): string | undefined {
  try {
    compileLinearPattern(source);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The first construct that needs backtracking (RE2 refuses them all; this names it for the author). */
export function unsupportedConstruct(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === "\\") {
      const next = source[i + 1] ?? "";
      if (!inClass && /[1-9]/.test(next)) return `a backreference (\\${next})`;
      if (!inClass && next === "k" && source[i + 2] === "<") return "a named backreference (\\k<...>)";
      i++;
    } else if (inClass) {
      if (ch === "]") inClass = false;
    } else if (ch === "[") {
      inClass = true;
      if (source[i + 1] === "]") i++; // RE2 and PCRE: ']' first in a class is literal
    } else if (ch === "(" && source[i + 1] === "?") {
      const rest = source.slice(i + 2, i + 4);
      if (rest.startsWith("=")) return "a lookahead (?=...)";
      if (rest.startsWith("!")) return "a negative lookahead (?!...)";
      if (rest === "<=") return "a lookbehind (?<=...)";
      if (rest === "<!") return "a negative lookbehind (?<!...)";
      if (rest.startsWith(">")) return "an atomic group (?>...)";
    } else if ((ch === "+" || ch === "*" || ch === "?" || ch === "}") && source[i + 1] === "+") {
      return `a possessive quantifier (${ch}+)`;
    }
  }
  return undefined;
}

/** A compiled wildcard: a literal character, one character of any kind, or a run of any characters. */
const ONE = 1;
const RUN = 0;
type Wildcard = string | typeof ONE | typeof RUN;

/**
 * A condition glob on a claim value: `*` any run of characters (including none), `?` exactly one, anything else
 * itself.
 */
export function matchesGlob(glob: string, value: string, meter?: StepMeter): boolean {
  const tokens: Wildcard[] = [];
  for (const ch of glob) tokens.push(ch === "*" ? RUN : ch === "?" ? ONE : ch);
  return matchesWildcards(tokens, codePoints(value), meter);
}

/**
 * A Fluid document pattern after expansion: `*` is one or more characters other than '/', the rest is literal.
 * Since neither side's '/' can be matched by a `*`, the pattern and the id match segment by segment, and within a
 * segment `*` is "one character, then any run".
 */
export function matchesDocumentWildcards(pattern: string, id: string, meter?: StepMeter): boolean {
  const patternSegments = pattern.split("/");
  const idSegments = id.split("/");
  if (patternSegments.length !== idSegments.length) return false;
  for (let k = 0; k < idSegments.length; k++) {
    const tokens: Wildcard[] = [];
    for (const ch of patternSegments[k]) {
      if (ch === "*") tokens.push(ONE, RUN);
      else tokens.push(ch);
    }
    if (!matchesWildcards(tokens, codePoints(idSegments[k]), meter)) return false;
  }
  return true;
}

/**
 * Greedy with a single resume point (the last run): on a mismatch, the last run takes one more character and
 * matching resumes after it. Earlier runs never need revisiting, since the last one can absorb anything they could,
 * so each character is passed at most (pattern length + 1) times: no backtracking, no regular expression.
 */
function matchesWildcards(p: Wildcard[], s: ArrayLike<string>, meter?: StepMeter): boolean {
  let i = 0;
  let j = 0;
  let run = -1;
  let resume = 0;
  while (i < s.length) {
    if (meter) meter.steps++;
    if (j < p.length && (p[j] === ONE || p[j] === s[i])) {
      i++;
      j++;
    } else if (j < p.length && p[j] === RUN) {
      run = j++;
      resume = i;
    } else if (run >= 0) {
      j = run + 1;
      i = ++resume;
    } else return false;
  }
  while (j < p.length && p[j] === RUN) j++;
  return j === p.length;
}

/** Code points, so `?` takes one character as the old `u`-mode regular expression did; a plain string when BMP-only. */
function codePoints(text: string): ArrayLike<string> {
  return /[\uD800-\uDFFF]/.test(text) ? Array.from(text) : text;
}
