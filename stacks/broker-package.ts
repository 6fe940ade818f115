/**
 * One artifact per environment: the broker (functions-src, bundled by esbuild) together with that environment's
 * compiled policy, zipped for Flex Consumption's zip deploy. Deterministic: the same sources and policy give the
 * same bytes (fixed timestamps), so an unchanged environment does not redeploy.
 */
import { buildSync } from "esbuild";
import { zipSync } from "fflate";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RuntimeConfig } from "../lib/policy/authoring/infra-needs";

export interface BrokerPackage {
  zipPath: string;
  bytes: number;
  bundleBytes: number;
}

const ENTRY = join(__dirname, "..", "functions-src", "index.ts");
const FIXED_TIME = new Date("2020-01-01T00:00:00Z");

export function buildBrokerPackage(config: RuntimeConfig, outDir: string): BrokerPackage {
  const bundle = buildSync({
    entryPoints: [ENTRY],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    legalComments: "none",
    write: false,
    // Provided by the Functions host at run time.
    external: ["@azure/functions-core"],
    // Some dependencies are ESM that read import.meta.url; in a CommonJS bundle it must come from __filename.
    define: { "import.meta.url": "__bundleUrl" },
    banner: { js: 'var __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: "silent",
  }).outputFiles[0].contents;
  const files: Record<string, Uint8Array> = {
    "index.js": bundle,
    "policy.json": new TextEncoder().encode(JSON.stringify(config)),
    "host.json": new TextEncoder().encode(
      JSON.stringify({ version: "2.0", logging: { logLevel: { default: "Information" } } }),
    ),
    "package.json": new TextEncoder().encode(
      JSON.stringify({ name: "azure-token-broker-function", version: "1.0.0", main: "index.js", type: "commonjs" }),
    ),
  };
  const zip = zipSync(
    Object.fromEntries(Object.entries(files).map(([name, data]) => [name, [data, { mtime: FIXED_TIME, level: 9 }]])),
  );
  mkdirSync(outDir, { recursive: true });
  const zipPath = join(outDir, `broker-${config.environment.name}.zip`);
  writeFileSync(zipPath, zip);
  return { zipPath, bytes: zip.length, bundleBytes: bundle.length };
}
