/**
 * Issue 17: the same app synthesized under cdktf 0.21 (the default) and under CDK Terrain (TOKEN_BROKER_ENGINE=cdktn)
 * must produce the same Terraform: every stack the app synthesizes (derived from the manifests, a pull request's
 * included), the same resource types, names and attribute values, the same outputs, backends, annotations and
 * assets. Only the differences in engine-differences.ts (and docs/cdk-terrain.md) are allowed, with the values the
 * installed packages say they must have.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stackEnvironments } from "../../../stacks/environments";
import { ROOT } from "../../policy/helpers";
import {
  compareSyntheses,
  describeDifferences,
  explainedDifferences,
  NOT_COMPARED,
  type Difference,
} from "./engine-differences";
import { synthApp, type EngineSynth } from "./synth-app";

const PR = "17";
// Each synthesis bundles three broker packages; on a shared two-core machine one run takes 5-15 s.
const SYNTH_TIMEOUT = 300_000;

/** Both engines, on one UTC day: the ephemeral stack's `expires-on` tag is computed from the clock at synthesis. */
function synthBoth(): [EngineSynth, EngineSynth] {
  for (let attempt = 0; attempt < 2; attempt++) {
    const cdktf = synthApp("cdktf", { pr: PR });
    const cdktn = synthApp("cdktn", { pr: PR });
    if (new Set([...cdktf.days, ...cdktn.days]).size === 1) return [cdktf, cdktn];
  }
  throw new Error("the two syntheses straddled midnight UTC twice");
}

/** `resource|data.<type>.<name>` of every element in a stack's JSON. */
function addresses(stack: Record<string, any>): string[] {
  return ["resource", "data"].flatMap((kind) =>
    Object.entries<Record<string, unknown>>(stack[kind] ?? {}).flatMap(([type, byName]) =>
      Object.keys(byName).map((name) => `${kind}.${type}.${name}`),
    ),
  );
}

describe("the stacks under cdktf and under CDK Terrain", () => {
  let cdktf: EngineSynth;
  let cdktn: EngineSynth;
  beforeAll(() => {
    [cdktf, cdktn] = synthBoth();
  }, SYNTH_TIMEOUT);

  it("synthesize the same stacks: every environment of policies/, the pull request's included", () => {
    const ids = Object.keys(cdktf.manifest.stacks).sort();
    expect(Object.keys(cdktn.manifest.stacks).sort()).toEqual(ids);
    const environments = stackEnvironments(join(ROOT, "policies"), PR, {}).map((s) => s.stackId);
    expect(environments).toContain(`broker-pr-${PR}`);
    expect(ids).toEqual(expect.arrayContaining(environments));
  });

  it("have the same resource and data source addresses, stack by stack", () => {
    for (const id of Object.keys(cdktf.stacks)) {
      const want = addresses(cdktf.stacks[id]).sort();
      expect(want.length).toBeGreaterThan(0);
      expect({ id, addresses: addresses(cdktn.stacks[id]).sort() }).toEqual({ id, addresses: want });
    }
  });

  it("differ only where the explained list says, with the values the installed packages give", () => {
    const result = compareSyntheses(cdktf, cdktn);
    expect(describeDifferences(result.unexplained)).toBe("");
    expect(result.unseen).toEqual([]);
    // The per-stack entries hold in every stack, not just somewhere.
    const stacks = Object.keys(cdktf.stacks).sort();
    for (const id of ["engine-version", "azurerm-provider-version"]) {
      expect(result.explained[id].map((d: Difference) => d.where[0]).sort()).toEqual(stacks);
    }
  });

  it("run one engine per process: the cdktn run loads no cdktf, and every binding's resources reach its JSON", () => {
    expect(cdktf.packages).toEqual(expect.arrayContaining(["cdktf", "@cdktf/provider-azurerm"]));
    expect(cdktf.packages.filter((p) => /cdktn/.test(p))).toEqual([]);
    expect(cdktn.packages).toEqual(expect.arrayContaining(["cdktn", "@cdktn/provider-azurerm"]));
    expect(cdktn.packages).not.toContain("cdktf");
    expect(cdktn.packages).not.toContain("@cdktf/provider-azurerm");
    // Bindings with no @cdktn build (time, azuread) stay @cdktf packages but extend cdktn's classes through the
    // switch; a construct of the other engine would be lost or break synthesis. Each binding's provider and elements
    // must appear under cdktn in the same stacks, as many, as under cdktf (and time_sleep at least somewhere).
    const foreign = cdktn.packages.filter((p) => p.startsWith("@cdktf/provider-"));
    expect(foreign).toContain("@cdktf/provider-time");
    for (const binding of foreign) {
      const provider = (require(`${binding}/package.json`).cdktf.provider.name as string).split("/").pop()!;
      const uses = (run: EngineSynth) =>
        Object.entries(run.stacks).map(([id, stack]) => ({
          id,
          declared: Boolean(stack.terraform?.required_providers?.[provider]),
          elements: addresses(stack).filter((a) => a.split(".")[1].startsWith(`${provider}_`)).length,
        }));
      if (provider === "time")
        expect(uses(cdktn).filter((u) => u.declared && u.elements > 0).length).toBeGreaterThan(0);
      expect({ binding, uses: uses(cdktn) }).toEqual({ binding, uses: uses(cdktf) });
    }
  });

  it("are documented: docs/cdk-terrain.md names every explained difference and every part left uncompared", () => {
    const doc = readFileSync(join(ROOT, "docs", "cdk-terrain.md"), "utf8");
    for (const e of explainedDifferences()) expect(doc).toContain(`\`${e.id}\``);
    for (const n of NOT_COMPARED) expect(doc).toContain(n.path.at(-1)!);
  });

  it("report a value that differs, and an explained difference whose value changed", () => {
    const broken: EngineSynth = structuredClone(cdktn);
    const [id] = Object.keys(broken.stacks);
    const group = broken.stacks[id].resource.azurerm_resource_group;
    const name = Object.keys(group)[0];
    group[name].location = "westeurope-typo";
    broken.stacks[id].terraform.required_providers.azurerm.version = "4.74.0";
    const result = compareSyntheses(cdktf, broken);
    expect(result.unexplained.map((d) => d.where.join("."))).toEqual([
      `${id}.resource.azurerm_resource_group.${name}.location`,
      `${id}.terraform.required_providers.azurerm.version`,
    ]);
  });

  it(
    "differ the same way for the constructs the app leaves out today: private network and shared store (prod)",
    () => {
      const entry = join(__dirname, "variants-app.ts");
      const [a, b] = [synthApp("cdktf", { pr: PR, entry }), synthApp("cdktn", { pr: PR, entry })];
      const types = Object.keys(a.stacks["broker-prod-private"].resource);
      for (const t of ["azurerm_managed_redis", "azurerm_private_endpoint", "azurerm_virtual_network"]) {
        expect(types).toContain(t);
      }
      const result = compareSyntheses(a, b);
      expect(describeDifferences(result.unexplained)).toBe("");
      expect(result.unseen).toEqual([]);
      expect(b.packages).not.toContain("cdktf");
    },
    SYNTH_TIMEOUT,
  );

  it(
    "report an attribute a binding drops under one engine (a schema rename), synthesized for real",
    () => {
      const dropped = synthApp("cdktn", { pr: PR, preloads: [join(__dirname, "drop-attribute-under-cdktn.cjs")] });
      const result = compareSyntheses(cdktf, dropped);
      const workspaces = Object.entries(cdktf.stacks).flatMap(([id, s]) =>
        Object.entries<any>(s.resource.azurerm_log_analytics_workspace ?? {}).map(([n, w]) => [
          `${id}.resource.azurerm_log_analytics_workspace.${n}.retention_in_days`,
          w.retention_in_days,
          undefined,
        ]),
      );
      // Every broker stack has a workspace (the bootstrap stack has none, and is compared all the same).
      expect(workspaces.length).toBeGreaterThanOrEqual(
        Object.keys(cdktf.stacks).filter((id) => id !== "broker-bootstrap").length,
      );
      const reported = result.unexplained.map((d) => [d.where.join("."), d.cdktf, d.cdktn]);
      expect(reported.sort()).toEqual(workspaces.sort());
    },
    SYNTH_TIMEOUT,
  );
});
