/**
 * One artifact per environment: the broker (functions-src, bundled by esbuild) together with that environment's
 * compiled policy, zipped for One Deploy after the apply (lib/cli/deploy-publish.ts). Deterministic: the same sources
 * and policy give the same bytes (fixed timestamps), so the asset's hash in cdktf.out changes only with them.
 */
import { createHash } from "node:crypto";
import { unzipSync, zipSync } from "fflate";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { cachedBuildSync, sha256 } from "../lib/engine/build-cache.cjs";
import type { RuntimeConfig } from "../lib/policy/authoring/infra-needs";
import { SDK_MODULES } from "../functions-src/sdk/names";

export interface BrokerPackage {
  zipPath: string;
  bytes: number;
  /** index.js: what the host parses at start. */
  bundleBytes: number;
  /** sdk/*.js together: parsed only by a worker that uses them. */
  sdkBytes: number;
}

const SOURCE = join(__dirname, "..", "functions-src");
const FIXED_TIME = new Date("2020-01-01T00:00:00Z");

let bundles: { index: Uint8Array; sdks: Record<string, Uint8Array> } | undefined;

/**
 * index.js and sdk/<name>.js in one esbuild call, which builds them in parallel and parses shared modules once.
 * @azure/functions-core is provided by the Functions host. The SDKs stay out of index.js: functions-src/load-sdk.ts
 * requires each as ./sdk/<name>, which resolves to its own file beside index.js. Kept in the build cache
 * (lib/engine/build-cache.cjs): bundling the ~1,100 files took about 1 s of every synth while none of them changed.
 */
function bundleBroker(): NonNullable<typeof bundles> {
  const OUT = "/broker";
  const outputs = cachedBuildSync("broker-bundle", {
    entryPoints: {
      index: join(SOURCE, "index.ts"),
      ...Object.fromEntries(SDK_MODULES.map((name) => [`sdk/${name}`, join(SOURCE, "sdk", `${name}.ts`)])),
    },
    outdir: OUT,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    legalComments: "none",
    write: false,
    external: ["@azure/functions-core", "./sdk/*"],
    // Some dependencies are ESM that read import.meta.url; in a CommonJS bundle it must come from __filename.
    define: { "import.meta.url": "__bundleUrl" },
    banner: { js: 'var __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: "silent",
  });
  const file = (name: string) => outputs.find((o) => o.path === join(OUT, name))!.contents;
  return {
    index: file("index.js"),
    sdks: Object.fromEntries(SDK_MODULES.map((name) => [`sdk/${name}.js`, file(join("sdk", `${name}.js`))])),
  };
}

export function buildBrokerPackage(config: RuntimeConfig, outDir: string): BrokerPackage {
  // The code does not depend on the policy (policy.json is its own file): bundled once per process, however many
  // environments are packaged.
  bundles ??= bundleBroker();
  const { index, sdks } = bundles;
  const files: Record<string, Uint8Array> = {
    "index.js": index,
    ...sdks,
    "policy.json": new TextEncoder().encode(JSON.stringify(config)),
    "host.json": new TextEncoder().encode(
      JSON.stringify({ version: "2.0", logging: { logLevel: { default: "Information" } } }),
    ),
    "package.json": new TextEncoder().encode(
      JSON.stringify({ name: "azure-token-broker-function", version: "1.0.0", main: "index.js", type: "commonjs" }),
    ),
  };
  mkdirSync(outDir, { recursive: true });
  const zipPath = join(outDir, `broker-${config.environment.name}.zip`);
  const zip = reusedZip(zipPath, files) ?? writeZip(zipPath, files);
  const sdkBytes = Object.values(sdks).reduce((sum, b) => sum + b.length, 0);
  return { zipPath, bytes: zip.length, bundleBytes: index.length, sdkBytes };
}

/**
 * The package already at `zipPath` if it holds exactly `files`: its entries are deterministic, so the same files
 * zip to the same bytes, and compressing ~1.8 MB again for each environment took ~0.1 s a stack. The check is the
 * entries' digest recorded beside the zip and the zip's own digest (a zip changed or replaced since is made again).
 */
function reusedZip(zipPath: string, files: Record<string, Uint8Array>): Uint8Array | undefined {
  if (process.env.TOKEN_BROKER_BUILD_CACHE === "off") return undefined; // as a fresh clone's first synth
  try {
    const record = JSON.parse(readFileSync(`${zipPath}.sha256.json`, "utf8")) as { files: string; zip: string };
    if (record.files !== filesDigest(files)) return undefined;
    const zip = readFileSync(zipPath);
    return sha256(zip) === record.zip ? zip : undefined;
  } catch {
    return undefined;
  }
}

function writeZip(zipPath: string, files: Record<string, Uint8Array>): Uint8Array {
  // Level 6, not 9: 0.02% larger for this bundle, in 60% of the time.
  const zip = zipSync(
    Object.fromEntries(Object.entries(files).map(([name, data]) => [name, [data, { mtime: FIXED_TIME, level: 6 }]])),
  );
  // Renamed into place: a parallel synth of the same environment (jest runs several) never reads half a zip.
  const temporary = `${zipPath}.${process.pid}.tmp`;
  writeFileSync(temporary, zip);
  renameSync(temporary, zipPath);
  writeFileSync(`${zipPath}.sha256.json`, JSON.stringify({ files: filesDigest(files), zip: sha256(zip) }));
  return zip;
}

function filesDigest(files: Record<string, Uint8Array>): string {
  const digest = createHash("sha256");
  for (const [name, data] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    digest.update(`${name}\0${data.length}\0`).update(data);
  }
  return digest.digest("hex");
}

/** Unzips a package into `dir` as the platform lays it out (index.js, sdk/*.js, policy.json, ...). */
export function unpackBrokerPackage(zipPath: string, dir: string): void {
  for (const [name, data] of Object.entries(unzipSync(readFileSync(zipPath)))) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
}
