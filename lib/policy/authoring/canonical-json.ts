/**
 * Canonical JSON (sorted keys, no spaces) and its SHA-256: byte-identical output for the same input.
 *
 * The output is defined by the plain recursive writer `simpleCanonicalJson` below (keys sorted by UTF-16 code units,
 * `undefined` members left out, anything JSON.stringify cannot write as `null`); test/policy/canonical-json.test.ts
 * holds the fast path to the same definition, kept separately in test/policy/support/reference-canonical-json.ts.
 *
 * Fast path: a twin of the value whose objects hold their keys in sorted order (objects already in order are
 * reused), written by the native JSON.stringify in one call. The policy hash of a 10,000-role config spent ~200 ms
 * in the entries/filter/sort/map/join writer (issue 17). JSON.stringify and the definition agree on plain data
 * only, so a value holding anything else goes to the plain writer whole: a class instance or a `toJSON` (JSON.stringify
 * would call it), a function or symbol (left out by JSON.stringify, `null` here), a hole in an array, a bigint, a key
 * that V8 lists out of insertion order (array-index keys come first) or that would set the prototype (`__proto__`).
 */
import { createHash } from "node:crypto";

export function canonicalJson(value: unknown): string {
  const twin = sortedTwin(value);
  return twin === UNUSUAL ? simpleCanonicalJson(value) : (JSON.stringify(twin) ?? "null");
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

const UNUSUAL: unique symbol = Symbol("not plain data");

/** The value with every object's keys in sorted order (the same object where nothing changes), or UNUSUAL. */
function sortedTwin(value: unknown): unknown {
  if (typeof value !== "object") {
    return typeof value === "function" || typeof value === "symbol" || typeof value === "bigint" ? UNUSUAL : value;
  }
  if (value === null) return value;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return UNUSUAL;
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return UNUSUAL;
      const item: unknown = value[i];
      const twin = sortedTwin(item);
      if (twin === UNUSUAL) return UNUSUAL;
      if (twin !== item) (copy ??= value.slice())[i] = twin;
    }
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return UNUSUAL;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const c = key.charCodeAt(0);
    // Array-index keys ("0", "12") are listed before all others whatever their order: keep JSON.stringify off them.
    if ((c >= 0x30 && c <= 0x39) || key === "__proto__" || key === "toJSON") return UNUSUAL;
    if (i > 0 && keys[i - 1] > key) sorted = false;
  }
  if (!sorted) keys.sort();
  let changed = !sorted;
  const twins: unknown[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const v = record[keys[i]];
    const twin = sortedTwin(v);
    if (twin === UNUSUAL) return UNUSUAL;
    if (twin !== v) changed = true;
    twins[i] = twin;
  }
  if (!changed) return value;
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) copy[keys[i]] = twins[i];
  return copy;
}

/** The definition: plain recursion, for the values the fast path does not take. */
function simpleCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(simpleCanonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${simpleCanonicalJson(v)}`).join(",")}}`;
}
