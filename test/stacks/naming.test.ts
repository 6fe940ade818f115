import fc from "fast-check";
import { NAME_RULES, resourceName, type ResourceKind } from "../../lib/constructs/naming";

const KINDS = Object.keys(NAME_RULES) as ResourceKind[];
// Everything environments.schema.json admits: entry names ^[a-z][a-z0-9]{0,7}$, instances <entry>-1..99999;
// workloads ^[a-z][a-z0-9]{1,7}$.
const entry = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const environment = fc.oneof(
  entry,
  fc.tuple(entry, fc.integer({ min: 1, max: 99999 })).map(([e, n]) => `${e}-${n}`),
);
const workload = fc.stringMatching(/^[a-z][a-z0-9]{1,7}$/);

describe("resource names", () => {
  it("are valid for every environment and workload the config admits", () => {
    fc.assert(
      fc.property(workload, environment, (w, env) => {
        for (const kind of KINDS) {
          const name = resourceName(kind, { workload: w, environment: env });
          expect(name).toMatch(NAME_RULES[kind].valid);
          expect(name.length).toBeLessThanOrEqual(NAME_RULES[kind].max);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("differ between environments for globally unique kinds, even when shortened", () => {
    fc.assert(
      fc.property(workload, environment, environment, (w, a, b) => {
        fc.pre(a !== b);
        for (const kind of KINDS.filter((k) => NAME_RULES[k].global)) {
          expect(resourceName(kind, { workload: w, environment: a })).not.toBe(
            resourceName(kind, { workload: w, environment: b }),
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("follow the abbreviation conventions", () => {
    const ctx = { workload: "docs", environment: "pr-42" };
    const expected: Record<ResourceKind, RegExp> = {
      resourceGroup: /^rg-docs-pr-42$/,
      cosmosAccount: /^cosmos-docs-pr-42-[0-9a-f]{5}$/,
      keyVault: /^kv-docs-pr-42-[0-9a-f]{5}$/,
      storageAccount: /^stdocspr42[0-9a-f]{5}$/,
      functionApp: /^func-docs-pr-42-[0-9a-f]{5}$/,
      servicePlan: /^asp-docs-pr-42$/,
      fluidRelay: /^frs-docs-pr-42$/,
      logAnalytics: /^log-docs-pr-42$/,
      appInsights: /^appi-docs-pr-42$/,
      frontDoorProfile: /^afd-docs-pr-42$/,
      frontDoorEndpoint: /^fde-docs-pr-42$/,
      wafPolicy: /^wafdocspr42$/,
      managedRedis: /^amr-docs-pr-42-[0-9a-f]{5}$/,
      virtualNetwork: /^vnet-docs-pr-42$/,
    };
    for (const kind of KINDS) expect(resourceName(kind, ctx)).toMatch(expected[kind]);
    expect(resourceName("storageAccount", ctx)).toBe(resourceName("storageAccount", { ...ctx }));
  });
});
