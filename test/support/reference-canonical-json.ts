/**
 * The definition of the policy hash's canonical JSON, written the plain way (as lib/policy/authoring/canonical-json.ts
 * was before issue 17): keys sorted by UTF-16 code units, `undefined` members left out, anything JSON.stringify
 * cannot write as `null`. Kept here, apart from the product code, so a change to the fast writer cannot change what
 * it is checked against (test/policy/canonical-json.test.ts).
 */
export function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(referenceCanonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonicalJson(v)}`).join(",")}}`;
}
