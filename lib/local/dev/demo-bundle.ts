/** The demo page's script, bundled for the browser with esbuild at dev start (in memory, nothing written). */
import { build } from "esbuild";
import { join } from "node:path";

export async function buildDemoBundle(): Promise<string> {
  const result = await build({
    entryPoints: [join(__dirname, "page", "demo-page.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: false, // faster to build at every start; loopback needs no small bundle
    sourcemap: false,
    logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  return result.outputFiles[0].text;
}
