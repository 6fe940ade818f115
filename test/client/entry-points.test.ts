/**
 * The package's client entry points: each resolves through package.json `exports` (code and types), bundles for
 * the browser (no Node-only import), and loads only what it needs: the core carries neither the Fluid runtime nor
 * the Cosmos SDK; the Fluid adapter carries no Fluid runtime either (the app brings AzureClient).
 */
import { join } from "node:path";
import ts from "typescript";
import { bundleForBrowser, ROOT } from "./support/browser-bundle";

const ENTRIES = {
  "azure-token-broker/client": "index.ts",
  "azure-token-broker/client/fluid": "fluid.ts",
  "azure-token-broker/client/cosmos": "cosmos.ts",
};

it.each(Object.entries(ENTRIES))("%s resolves to its types through package.json exports", (specifier, file) => {
  const options = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
  const resolved = ts.resolveModuleName(
    specifier,
    join(ROOT, "test", "client", "x.ts"),
    options,
    ts.sys,
  ).resolvedModule;
  expect(resolved?.resolvedFileName).toBe(join(ROOT, "lib", "client", file));
});

it.each(Object.keys(ENTRIES))(
  "%s bundles for the browser",
  async (specifier) => {
    const bundle = await bundleForBrowser(`export * from "${specifier}";`);
    expect(bundle.bytes).toBeGreaterThan(0);
    const node = bundle.inputs.filter((i) => /^node:|\b(functions-src|lib\/policy|lib\/local)\b/.test(i));
    expect(node).toEqual([]);
  },
  60_000,
);

it("the core entry loads neither Fluid nor Cosmos; the Cosmos entry loads the Cosmos SDK", async () => {
  const core = await bundleForBrowser(`export * from "azure-token-broker/client";`);
  const fluid = await bundleForBrowser(`export * from "azure-token-broker/client/fluid";`);
  const cosmos = await bundleForBrowser(`export * from "azure-token-broker/client/cosmos";`);
  const heavy = (inputs: string[]) =>
    inputs.filter((i) => i.includes("@fluidframework") || i.includes("@azure/cosmos"));
  expect(heavy(core.inputs)).toEqual([]);
  expect(heavy(fluid.inputs)).toEqual([]);
  expect(heavy(cosmos.inputs).length).toBeGreaterThan(0);
}, 60_000);

it("a Node-only import on the client path fails the browser build", async () => {
  await expect(
    bundleForBrowser(
      `import { createHash } from "node:crypto"; export * from "azure-token-broker/client"; console.log(createHash);`,
    ),
  ).rejects.toThrow(/node:crypto/);
}, 60_000);
