/**
 * The client package's entry points, as an app resolves them (the workspace link node_modules/@azure-token-broker/
 * client, built by the jest global setup): each resolves through `exports` to the built ESM or CommonJS file and
 * its own declarations, bundles for the browser (no Node-only import), and loads only what it needs: the core
 * carries neither the Fluid runtime nor the Cosmos SDK; the Fluid adapter carries no Fluid runtime either (the app
 * brings AzureClient). publint and arethetypeswrong judge the package as npm would publish it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { bundleForBrowser, ROOT } from "./support/browser-bundle";

const CLIENT = join(ROOT, "lib", "client");
const ENTRIES = {
  "@azure-token-broker/client": "index",
  "@azure-token-broker/client/fluid": "fluid",
  "@azure-token-broker/client/cosmos": "cosmos",
};

/** Where TypeScript finds the types of `specifier` when a file imports it ("import") or requires it ("require"). */
function resolveTypes(specifier: string, mode: "import" | "require", moduleResolution: ts.ModuleResolutionKind) {
  const module = moduleResolution === ts.ModuleResolutionKind.Bundler ? ts.ModuleKind.ESNext : ts.ModuleKind.NodeNext;
  const resolutionMode = mode === "import" ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS;
  const from = join(ROOT, "test", "client", "x.ts");
  return ts.resolveModuleName(
    specifier,
    from,
    { module, moduleResolution },
    ts.sys,
    undefined,
    undefined,
    resolutionMode,
  ).resolvedModule?.resolvedFileName;
}

describe.each(Object.entries(ENTRIES))("%s", (specifier, name) => {
  it("resolves to the built declarations for import and for require", () => {
    const dist = join(CLIENT, "dist");
    expect(resolveTypes(specifier, "import", ts.ModuleResolutionKind.NodeNext)).toBe(join(dist, `${name}.d.mts`));
    expect(resolveTypes(specifier, "require", ts.ModuleResolutionKind.NodeNext)).toBe(join(dist, `${name}.d.cts`));
    expect(resolveTypes(specifier, "import", ts.ModuleResolutionKind.Bundler)).toBe(join(dist, `${name}.d.mts`));
  });

  it("loads in Node as an ES module and as CommonJS, with the same exports", async () => {
    const script = (kind: "esm" | "cjs") =>
      kind === "esm"
        ? `import("${specifier}").then((m) => console.log(JSON.stringify(Object.keys(m).filter((k) => k !== "default").sort())))`
        : `console.log(JSON.stringify(Object.keys(require("${specifier}")).sort()))`;
    const run = (kind: "esm" | "cjs") =>
      JSON.parse(
        execFileSync(
          process.execPath,
          ["--input-type=" + (kind === "esm" ? "module" : "commonjs"), "-e", script(kind)],
          {
            cwd: ROOT,
            encoding: "utf8",
          },
        ),
      );
    const esm = run("esm");
    expect(esm.length).toBeGreaterThan(0);
    expect(run("cjs")).toEqual(esm);
  });

  it("bundles for the browser from the built files", async () => {
    const bundle = await bundleForBrowser(`export * from "${specifier}";`);
    expect(bundle.bytes).toBeGreaterThan(0);
    expect(bundle.inputs.filter((i) => i.startsWith("lib/client/") && !i.startsWith("lib/client/dist/"))).toEqual([]);
    const node = bundle.inputs.filter((i) => /^node:|\b(functions-src|lib\/policy|lib\/local)\b/.test(i));
    expect(node).toEqual([]);
  }, 60_000);
});

it("the core entry loads neither Fluid nor Cosmos; the Cosmos entry loads the Cosmos SDK", async () => {
  const core = await bundleForBrowser(`export * from "@azure-token-broker/client";`);
  const fluid = await bundleForBrowser(`export * from "@azure-token-broker/client/fluid";`);
  const cosmos = await bundleForBrowser(`export * from "@azure-token-broker/client/cosmos";`);
  const heavy = (inputs: string[]) =>
    inputs.filter((i) => i.includes("@fluidframework") || i.includes("@azure/cosmos"));
  expect(heavy(core.inputs)).toEqual([]);
  expect(heavy(fluid.inputs)).toEqual([]);
  expect(heavy(cosmos.inputs).length).toBeGreaterThan(0);
}, 60_000);

it("a Node-only import on the client path fails the browser build", async () => {
  await expect(
    bundleForBrowser(
      `import { createHash } from "node:crypto"; export * from "@azure-token-broker/client"; console.log(createHash);`,
    ),
  ).rejects.toThrow(/node:crypto/);
}, 60_000);

it("the client package depends on nothing but its optional peers", () => {
  const manifest = JSON.parse(readFileSync(join(CLIENT, "package.json"), "utf8"));
  expect(manifest.dependencies ?? {}).toEqual({});
  expect(Object.keys(manifest.peerDependencies).sort()).toEqual(["@azure/cosmos", "@fluidframework/azure-client"]);
  expect(Object.values(manifest.peerDependenciesMeta)).toEqual([{ optional: true }, { optional: true }]);
});

it("publint and arethetypeswrong find nothing in the packed client", () => {
  const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);
  const publint = execFileSync(bin("publint"), ["--strict"], { cwd: CLIENT, encoding: "utf8" });
  expect(publint).not.toMatch(/Errors|Warnings|Suggestions/);
  const out = mkdtempSync(join(tmpdir(), "client-pack-"));
  try {
    const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", out], {
      cwd: CLIENT,
      encoding: "utf8",
    })
      .trim()
      .split("\n")
      .pop()!;
    // Exit status 1 on any problem; --format json to read what it judged.
    const report = JSON.parse(
      execFileSync(bin("attw"), [join(out, tarball), "--format", "json"], { encoding: "utf8" }),
    );
    expect(report.analysis.problems ?? []).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual([".", "./cosmos", "./fluid", "./package.json"]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
