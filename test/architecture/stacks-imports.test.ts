/**
 * The CDKTF app (stacks/) and everything it imports is type-checked on every synth (`bench:synth`, target <= 3 s).
 * Of the broker it may read only the list of SDK files (functions-src/sdk/names.ts) and the worker's Node arguments
 * (functions-src/memory-budget.ts), both free of SDK imports: one type import of
 * functions-src/load-sdk.ts made tsc read @azure/cosmos, @azure/identity (with MSAL), @azure/storage-blob and ioredis,
 * ~600 declaration files, and cost ~1 s.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const ROOT = join(__dirname, "..", "..");
const BROKER_SDKS = ["@azure/cosmos", "@azure/identity", "@azure/storage-blob", "ioredis"];

function resolveRelative(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  return [`${base}.ts`, join(base, "index.ts"), base].find((p) => p.endsWith(".ts") && existsSync(p));
}

/** Every source file reachable from `entries` through relative imports, and the packages those files import. */
function importGraph(entries: string[]) {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const { fileName: spec } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
      if (spec.startsWith(".")) {
        const target = resolveRelative(file, spec);
        if (target) visit(target);
      } else packages.add(spec);
    }
  };
  entries.forEach(visit);
  return { files: [...files].map((f) => relative(ROOT, f)), packages: [...packages] };
}

const stacks = readdirSync(join(ROOT, "stacks"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => join(ROOT, "stacks", f));

describe("what the CDKTF app imports", () => {
  const graph = importGraph(stacks);

  it("reaches the policy compiler and the constructs (the walk follows imports)", () => {
    expect(graph.files).toEqual(expect.arrayContaining(["lib/policy/authoring/compile.ts", "stacks/broker-stack.ts"]));
  });

  it("takes nothing from the broker but the SDK file list and the Node arguments, and none of the broker's SDKs", () => {
    expect(graph.files.filter((f) => f.startsWith("functions-src/")).sort()).toEqual([
      "functions-src/memory-budget.ts",
      "functions-src/sdk/names.ts",
    ]);
    expect(graph.packages.filter((p) => BROKER_SDKS.some((sdk) => p === sdk || p.startsWith(`${sdk}/`)))).toEqual([]);
  });
});
