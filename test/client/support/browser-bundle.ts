/**
 * Bundles SDK code for the browser with esbuild at test time (platform "browser": a Node-only import fails the
 * build). Used by the entry-point test, the browser test and `npm run bench:client`.
 */
import { join } from "node:path";
import { build, type Metafile } from "esbuild";

export const ROOT = join(__dirname, "..", "..", "..");

export interface BrowserBundle {
  code: string;
  bytes: number;
  /** Source files that went into the bundle, relative to the repository root. */
  inputs: string[];
  metafile: Metafile;
}

/** `source` is an ES module (TypeScript allowed) resolved from the repository root, so `azure-token-broker/...` works. */
export async function bundleForBrowser(
  source: string,
  options: { minify?: boolean; globalName?: string } = {},
): Promise<BrowserBundle> {
  const result = await build({
    stdin: { contents: source, loader: "ts", resolveDir: ROOT, sourcefile: "entry.ts" },
    bundle: true,
    platform: "browser",
    format: options.globalName ? "iife" : "esm",
    globalName: options.globalName,
    target: "es2022",
    minify: options.minify ?? true,
    write: false,
    metafile: true,
    logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const code = result.outputFiles[0].text;
  return {
    code,
    bytes: Buffer.byteLength(code),
    inputs: Object.keys(result.metafile.inputs),
    metafile: result.metafile,
  };
}
