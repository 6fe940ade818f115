// Builds the client package into dist/: ESM (.mjs) and CommonJS (.cjs), one output file per source file (so the
// entry points share modules instead of each carrying its own copy of BrokerClient), and declarations for both
// (.d.mts / .d.cts: one .d.ts for both would make TypeScript read the ESM entry as CommonJS under node16).
// `--if-stale` skips the build when dist/ is newer than every source file (the test suite's global setup).
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import ts from "typescript";

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(PACKAGE, "dist");
const SOURCES = readdirSync(PACKAGE)
  .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
  .map((name) => join(PACKAGE, name));
const FORMATS = [
  { format: "esm", js: ".mjs", dts: ".d.mts" },
  { format: "cjs", js: ".cjs", dts: ".d.cts" },
];

/** Relative imports stay imports, of the sibling output file in the same format. */
function withExtension(specifier, extension) {
  return specifier.replace(/(\.ts)?$/, extension);
}

function siblingImports(extension) {
  return {
    name: "sibling-imports",
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) =>
        args.kind === "entry-point" ? undefined : { path: withExtension(args.path, extension), external: true },
      );
    },
  };
}

function isStale() {
  if (!existsSync(join(DIST, "index.d.mts"))) return true;
  const built = statSync(join(DIST, "index.d.mts")).mtimeMs;
  const inputs = [...SOURCES, join(PACKAGE, "package.json"), fileURLToPath(import.meta.url)];
  return inputs.some((file) => statSync(file).mtimeMs > built);
}

async function buildJavaScript() {
  for (const { format, js } of FORMATS) {
    await build({
      entryPoints: SOURCES,
      outdir: DIST,
      outExtension: { ".js": js },
      bundle: true,
      packages: "external",
      platform: "neutral",
      format,
      target: "es2022",
      sourcemap: false,
      logLevel: "warning",
      plugins: [siblingImports(js)],
    });
  }
}

function buildDeclarations() {
  const configPath = join(PACKAGE, "build", "tsconfig.json");
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath));
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, outDir: DIST } });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const emitted = program.emit(undefined, (fileName, text) => {
    const name = basename(fileName).replace(/\.d\.ts$/, "");
    for (const { js, dts } of FORMATS) {
      const rewritten = text.replace(
        /((?:from|import)\s*\(?\s*)(["'])(\.\.?\/[^"']+)\2/g,
        (_, lead, quote, spec) => `${lead}${quote}${withExtension(spec, js)}${quote}`,
      );
      writeFileSync(join(DIST, name + dts), rewritten);
    }
  });
  const all = [...diagnostics, ...emitted.diagnostics];
  if (all.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => PACKAGE, getNewLine: () => "\n" };
    throw new Error(ts.formatDiagnostics(all, host));
  }
}

export async function buildClient() {
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  await buildJavaScript();
  buildDeclarations();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--if-stale") && !isStale()) process.exit(0);
  await buildClient();
}
