/**
 * Templates: literal text with `${claims.x}` (filled at run time from verified claims) and `${env.x}` (filled at
 * compile time from the environment). Runtime-safe: bundled into the broker.
 *
 * A value filled into a template must never widen the scope it names, so values are *rejected*, never escaped,
 * when they hold a character that means something to a path, a pattern or a list.
 */
import { matchesDocumentWildcards, type StepMeter } from "./linear-match";

import { ownValue } from "./own";

/**
 * A compiled template piece. `length` is set on a claim whose end the template cannot otherwise mark (it is
 * followed by a separator its declaration allows, or by another claim): the check proved the declared value has
 * this fixed length, and the evaluator refuses any other length, so one caller's value never runs into the next part.
 */
export type TemplatePart = string | { claim: string; length?: number };

export interface ParsedTemplate {
  parts: ({ text: string } | { ref: "claims" | "env" | "request"; name: string; start: number })[];
  errors: { message: string; index: number }[];
}

const PLACEHOLDER = /\$\{([^}]*)\}/g;
const REFERENCE = /^(claims|env|request)\.([A-Za-z_][A-Za-z0-9_]*)$/;

export function parseTemplate(text: string): ParsedTemplate {
  const parts: ParsedTemplate["parts"] = [];
  const errors: ParsedTemplate["errors"] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const index = m.index ?? 0;
    if (index > last) parts.push({ text: text.slice(last, index) });
    const ref = REFERENCE.exec(m[1].trim());
    if (ref) parts.push({ ref: ref[1] as "claims" | "env" | "request", name: ref[2], start: index });
    else errors.push({ index, message: `'\${${m[1]}}' is not a reference; write \${claims.<name>} or \${env.<name>}` });
    last = index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  // A lone '}' is ordinary text (regex quantifiers such as {1,36}); an unclosed '${' is a broken reference.
  const unclosed = text.indexOf("${", last);
  if (unclosed >= 0) errors.push({ index: unclosed, message: "'${' is never closed with '}'" });
  return { parts, errors };
}

/** Fills `${env.x}` now; leaves `${claims.x}` as parts for run time. */
export function resolveEnv(text: string, values: Record<string, string | number | boolean>): TemplatePart[] {
  const out: TemplatePart[] = [];
  for (const p of parseTemplate(text).parts) {
    const piece: TemplatePart =
      "text" in p ? p.text : p.ref === "env" ? String(ownValue(values, p.name)) : { claim: p.name };
    if (piece === "") continue; // an empty env value: the parts around it meet (the evaluator relies on no "" part)
    const prev = out[out.length - 1];
    if (typeof piece === "string" && typeof prev === "string") out[out.length - 1] = prev + piece;
    else out.push(piece);
  }
  return out;
}

/** Fills `${env.x}` in a string that must not contain claim references (issuer URLs, condition values). */
export function substituteEnv(text: string, values: Record<string, string | number | boolean>): string {
  return text.replace(PLACEHOLDER, (whole, ref: string) => {
    const m = REFERENCE.exec(ref.trim());
    return m && m[1] === "env" ? String(ownValue(values, m[2])) : whole;
  });
}

/**
 * Why a claim value may not be used in a template, or undefined when it is safe.
 * Rejected: empty; longer than 256; `/` `\` (path), `..` (traversal), `,` (lists), `*` `?` (patterns),
 * `#` `%` (URL fragment and escapes), `&` `=` `+` (query strings and SAS), quotes, whitespace and control characters;
 * and any non-ASCII character: resource names here are ASCII, and lookalikes such as U+FF0F (fullwidth '/'),
 * U+FF0E (fullwidth '.') or U+2025 ('‥') become '/' or '..' under NFKC, which some layer may apply. They are
 * refused, never normalized into a scope.
 */
export function unsafeValueReason(value: string): string | undefined {
  if (value.length === 0) return "is empty";
  if (value.length > 256) return "is longer than 256 characters";
  if (value.includes("..")) return "contains '..'";
  // eslint-disable-next-line no-control-regex
  const bad = /[/\\,*?#%&=+"'`<>\s\u0000-\u001f\u007f-\u009f\u2028\u2029]/.exec(value);
  if (bad)
    return bad[0].trim() === "" || bad[0].charCodeAt(0) < 32
      ? "contains whitespace or a control character"
      : `contains '${bad[0]}'`;
  return nonAsciiReason(value);
}

/** The reason a resource name holding non-ASCII text is refused (shared with CDN paths), or undefined when ASCII. */
export function nonAsciiReason(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(value)) return undefined;
  if (value.normalize("NFKC") !== value) {
    return "contains a Unicode character that NFKC normalization changes (a lookalike such as a fullwidth '.' or '/')";
  }
  return "contains a non-ASCII character; resource names are ASCII";
}

/** Whether a claim value may ever hold this character (the template check's notion of a separator). */
export function mayAppearInValue(ch: string): boolean {
  return unsafeValueReason(ch) === undefined;
}

export type ClaimValues = Readonly<Record<string, unknown>>;

/**
 * Expands compiled template parts with claim values. Returns the reason (never the value) when a claim is missing,
 * not a string or number, or unsafe. Defence in depth against template collisions (the check proves them absent):
 * a value must not contain the separator that follows it in the template, so `${claims.tid}-*` never lets tenant
 * `contoso` reach `contoso-evil-doc`; where the check relied on a fixed length instead, the length must match.
 */
export function expandTemplate(
  parts: readonly TemplatePart[],
  claims: ClaimValues,
): { value: string } | { claim: string; reason: string } {
  let value = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (typeof part === "string") {
      value += part;
      continue;
    }
    const raw = ownValue(claims, part.claim);
    if (raw === undefined || raw === null) return { claim: part.claim, reason: "is missing" };
    if (typeof raw !== "string" && !(typeof raw === "number" && Number.isFinite(raw)))
      return { claim: part.claim, reason: "is not a string" };
    const text = String(raw);
    const unsafe = unsafeValueReason(text);
    if (unsafe) return { claim: part.claim, reason: unsafe };
    const next = parts[i + 1];
    if (part.length !== undefined) {
      if (text.length !== part.length) {
        return { claim: part.claim, reason: `is not ${part.length} characters long, as the template requires` };
      }
    } else if (typeof next === "string") {
      // A Fluid wildcard right after a value would let tenant "ab" match tenant "abc"'s documents.
      if (next[0] === "*") {
        return {
          claim: part.claim,
          reason: "is followed directly by a wildcard in the template, so its end is not fixed",
        };
      }
      if (text.includes(next[0])) {
        return { claim: part.claim, reason: `contains '${next[0]}', the separator that follows it in the template` };
      }
    } else if (next !== undefined) {
      const reason = "is followed directly by another claim in the template, so its end is not fixed";
      return { claim: part.claim, reason };
    }
    value += text;
  }
  return { value };
}

/** The `format: uuid` claim form, and Entra object and tenant ids. */
export const UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
export const UUID = new RegExp(`^${UUID_PATTERN}$`);

/**
 * Fluid document patterns after expansion: `*` matches one or more characters other than '/', the rest is literal.
 * Claim values cannot contain `*` (unsafeValueReason), so every `*` here came from the policy itself.
 * A direct matcher rather than a RegExp per caller keeps memory flat however many tenants call, and its time is
 * linear in the id (linear-match.ts).
 */
export function matchesDocumentPattern(pattern: string, id: string, meter?: StepMeter): boolean {
  return matchesDocumentWildcards(pattern, id, meter);
}
