/** Policy pairs for review tests: the example policy as base, an edited copy as head, both on disk in a temp dir. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const EXAMPLE = join(__dirname, "..", "..", "..", "policies");

export interface PolicyPair {
  base: string;
  head: string;
  remove(): void;
}

/** `edit` gets policy.yaml's text and returns the head's; `withTests` keeps policies/tests in both copies. */
export function policyPair(edit: (policy: string) => string, withTests = true): PolicyPair {
  const root = mkdtempSync(join(tmpdir(), "tb-review-"));
  const base = join(root, "base");
  const head = join(root, "head");
  for (const dir of [base, head])
    cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => withTests || !src.includes("tests") });
  const original = readFileSync(join(head, "policy.yaml"), "utf8");
  const edited = edit(original);
  if (edited === original)
    throw new Error("the fixture edit changed nothing: the example policy moved, update the fixture");
  writeFileSync(join(head, "policy.yaml"), edited);
  return { base, head, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Replaces exactly one occurrence, so a fixture cannot silently stop matching the example. */
export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at === -1 || text.indexOf(from, at + 1) !== -1)
    throw new Error(`expected exactly one '${from}' in the example policy`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** A role block appended under `roles:` (before `cosmosRbac:`). */
export function addRoles(text: string, yaml: string): string {
  return replaceOnce(text, "\ncosmosRbac:", `\n${yaml}\ncosmosRbac:`);
}
