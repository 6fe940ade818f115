/**
 * The runtime boundary: everything under functions-src/ and lib/policy/runtime/ is bundled into the broker, so it may
 * import only itself, Node built-ins and the few packages the broker needs. Authoring and review code (ajv, yaml,
 * the checker), infrastructure code (cdktf, constructs) and build tools (esbuild) must never reach the bundle.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";

const ROOT = join(__dirname, "..", "..");
const RUNTIME_DIRS = ["functions-src", join("lib", "policy", "runtime")];
/** npm packages the broker bundle may use (a scope ends with "/"). */
// re2js: claim patterns in linear time (lib/policy/runtime/linear-match.ts).
const ALLOWED_PACKAGES = [
  "jose",
  "@azure/",
  "lru-cache",
  "ioredis",
  "rate-limiter-flexible",
  "@opentelemetry/api",
  "re2js",
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function isRuntimePath(absolute: string): boolean {
  const rel = relative(ROOT, absolute);
  return RUNTIME_DIRS.some((d) => rel === d || rel.startsWith(d + sep));
}

/** Every import, export-from, dynamic import() and require() in `text` that leaves the allowed set. */
export function boundaryViolations(file: string, text: string): string[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((spec) => {
      if (spec.startsWith(".")) return !isRuntimePath(resolve(dirname(file), spec));
      if (spec.startsWith("node:") || builtinModules.includes(spec)) return false;
      const pkg = packageName(spec);
      return !ALLOWED_PACKAGES.some((a) => (a.endsWith("/") ? pkg.startsWith(a) : pkg === a));
    })
    .map((spec) => `${relative(ROOT, file)} imports "${spec}"`);
}

describe("runtime import boundary", () => {
  const files = RUNTIME_DIRS.flatMap((d) => sourceFiles(join(ROOT, d)));

  it("covers the broker and the policy runtime", () => {
    expect(files.some((f) => f.endsWith(join("functions-src", "core.ts")))).toBe(true);
    expect(files.some((f) => f.endsWith(join("lib", "policy", "runtime", "evaluate.ts")))).toBe(true);
  });

  it("no file under functions-src/ or lib/policy/runtime/ imports outside the runtime set", () => {
    expect(files.flatMap((f) => boundaryViolations(f, readFileSync(f, "utf8")))).toEqual([]);
  });

  it("catches each kind of forbidden import", () => {
    const file = join(ROOT, "functions-src", "mint", "example.ts");
    const text = [
      'import { App } from "cdktf";',
      'import type { Construct } from "constructs";',
      'export { checkBundle } from "../../lib/policy/authoring/check";',
      'const y = require("yaml");',
      'const load = () => import("../../lib/policy/review/diff");',
      'import Ajv from "ajv/dist/2020";',
      'import { buildSync } from "esbuild";',
      'import { TerraformStack } from "@cdktf/provider-azurerm/lib/provider";',
      'import { jwtVerify } from "jose";',
      'import { LRUCache } from "lru-cache";',
      'import { CosmosClient } from "@azure/cosmos";',
      'import { createHash } from "node:crypto";',
      'import type { RuntimeConfig } from "../../lib/policy/runtime/runtime-config";',
      'import { mintFluidToken } from "./fluid-token";',
    ].join("\n");
    expect(boundaryViolations(file, text).map((v) => v.replace(/^.* imports /, ""))).toEqual([
      '"cdktf"',
      '"constructs"',
      '"../../lib/policy/authoring/check"',
      '"yaml"',
      '"../../lib/policy/review/diff"',
      '"ajv/dist/2020"',
      '"esbuild"',
      '"@cdktf/provider-azurerm/lib/provider"',
    ]);
  });
});
