/**
 * cdktf.json's app command: `node lib/engine/run-app.cjs stacks/main.ts`. Runs a TypeScript CDKTF app as one
 * esbuild bundle of the project's own files (packages stay `require`s of node_modules), kept in the build cache and
 * rebuilt only when a file of the app changes.
 *
 * Why not tsx, which ran the app before: tsx compiles each of the app's ~80 files on load, scans every package file
 * for ESM syntax, answers every `require` through its loader thread, and turns on source maps, which every one of
 * cdktf's tokens then pays for (each records its creation stack trace). Together that was ~0.6 s of a ~2.6 s app
 * (docs/benchmarks.md, "Synth"). The bundle is not type-checked, as tsx's output was not: `npm run typecheck` is.
 *
 * Every file keeps its own `__dirname` and `__filename` (the stacks find policies/ and functions-src/ from them):
 * the `file-paths` plugin declares both, on the file's first line so line numbers stay the source's.
 * Stack traces name the bundle (.gen/app/<name>.cjs), which is readable and marks each file with a comment; with
 * TOKEN_BROKER_APP_SOURCE_MAPS=1 they name the TypeScript sources (slower: see above).
 */
"use strict";

require("./select-engine.cjs");
const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const { basename, dirname, join, resolve } = require("node:path");
const { cachedBuild } = require("./build-cache.cjs");

const ROOT = join(__dirname, "..", "..");

/** Declares a project file's own `__dirname`/`__filename`, which a bundle would otherwise share. */
const filePaths = {
  name: "file-paths",
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      if (/[\\/]node_modules[\\/]/.test(args.path)) return undefined;
      const source = readFileSync(args.path, "utf8");
      const loader = /\.[cm]?ts$/.test(args.path) ? "ts" : "js";
      if (!/\b__(dirname|filename)\b/.test(source)) return { contents: source, loader };
      const declare =
        `const __dirname = ${JSON.stringify(dirname(args.path))}, ` + `__filename = ${JSON.stringify(args.path)}; `;
      return { contents: declare + source, loader };
    });
  },
};

async function main() {
  const entry = resolve(process.argv[2] ?? "stacks/main.ts");
  const sourceMaps = process.env.TOKEN_BROKER_APP_SOURCE_MAPS === "1";
  const name = `${basename(entry).replace(/\.[cm]?[jt]s$/, "")}-${createHash("sha256").update(entry).digest("hex").slice(0, 12)}`;
  const outfile = join(ROOT, ".gen", "app", `${name}.cjs`);
  const outputs = await cachedBuild(
    `app-${name}`,
    {
      entryPoints: [entry],
      outfile,
      bundle: true,
      packages: "external",
      platform: "node",
      format: "cjs",
      target: "node20",
      sourcemap: sourceMaps ? "linked" : false,
      // The bundle's per-file comments name paths from here: `// stacks/main.ts`.
      absWorkingDir: ROOT,
      logLevel: "warning",
      plugins: [filePaths],
    },
    "file-paths: __dirname and __filename per project file, on line 1",
  );
  for (const { path, contents } of outputs) writeIfChanged(path, contents);
  if (sourceMaps) process.setSourceMapsEnabled(true);
  require(outfile);
}

/** Renamed into place, so a parallel synth of the same app never requires half a file. */
function writeIfChanged(path, contents) {
  try {
    if (Buffer.from(contents).equals(readFileSync(path))) return;
  } catch {
    // absent: written below
  }
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

main().catch((error) => {
  // The app's own errors (a construct's validation) keep their message and stack; esbuild has already printed the
  // file, line and column of a syntax error.
  process.exitCode = 1;
  console.error(error instanceof Error && error.stack ? error.stack : String(error));
});
