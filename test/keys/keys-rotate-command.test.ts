/**
 * `token-broker keys rotate` against the ARM and Key Vault contract double (lib/local/azure-keys-rest-contract-double.ts):
 * the Cosmos keys are the Cosmos contract double's master keys (so the new key's validation is a real signed call),
 * the Fluid keys an in-memory pair. Resource ids come from the example policy's `dev` environment and the naming
 * rules, as the stacks create them.
 */
import { randomBytes } from "node:crypto";
import { main } from "../../lib/cli/main";
import { runKeysCommand, type KeysCommandDeps } from "../../lib/cli/keys-commands";
import { resourceName } from "../../lib/constructs/naming";
import { AzureKeysRestContractDouble, testCredential } from "../../lib/local/azure-keys-rest-contract-double";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";
import { deployableEnvironments } from "../../lib/policy/authoring/infra-needs";

const dev = deployableEnvironments("policies").find((e) => e.infra.environment.name === "dev")!.infra;
const naming = { workload: dev.azure.workload, environment: "dev" };
const group = `/subscriptions/sub-1/resourceGroups/${resourceName("resourceGroup", naming)}`;
const fluidKeys = { key1: "fluid-original-1", key2: "fluid-original-2" };
const cosmos = new CosmosRestContractDouble("docs", { documents: "/tenantId" });
const azure = new AzureKeysRestContractDouble({
  fluid: {
    serverId: `${group}/providers/Microsoft.FluidRelay/fluidRelayServers/${resourceName("fluidRelay", naming)}`,
    holder: {
      keys: () => ({ ...fluidKeys }),
      regenerate: (slot) => (fluidKeys[slot] = randomBytes(24).toString("hex")),
    },
  },
  cosmos: {
    accountId: `${group}/providers/Microsoft.DocumentDB/databaseAccounts/${resourceName("cosmosAccount", naming)}`,
    holder: {
      keys: () => ({ key1: cosmos.masterKeys.primary, key2: cosmos.masterKeys.secondary }),
      regenerate: (slot) => cosmos.regenerateKey(slot === "key1" ? "primary" : "secondary"),
    },
  },
});
beforeAll(async () => {
  await Promise.all([azure.start(), cosmos.start()]);
});
afterAll(async () => {
  await Promise.all([azure.stop(), cosmos.stop()]);
});

const deps = (extra: Partial<KeysCommandDeps> = {}): KeysCommandDeps => ({
  credential: testCredential,
  armEndpoint: azure.armEndpoint,
  vaultUrl: () => azure.vaultUrl,
  cosmosEndpoint: () => cosmos.endpoint,
  env: { AZURE_SUBSCRIPTION_ID: "sub-1" },
  pollMs: 5,
  ...extra,
});

async function run(argv: string[], d = deps()) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runKeysCommand(
    "rotate",
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
    d,
  );
  const audit = out.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l).audit);
  return { code, out: out.join("\n"), err: err.join("\n"), audit };
}

const doc = (name: string) => JSON.parse(azure.secrets.get(name)!.at(-1)!.value);

it("the first run adopts the keys and waits out a full hold before regenerating anything", async () => {
  const r = await run(["--env", "dev", "policies"]);
  expect(r.code).toBe(0);
  expect(r.audit.map((a) => `${a.resource} ${a.step}`)).toEqual([
    "fluid initialized",
    "fluid requested",
    "fluid waiting",
    "cosmos initialized",
    "cosmos requested",
    "cosmos waiting",
  ]);
  expect(r.out).toMatch(/fluid: rotation requested; it starts at \S+/);
  expect(doc("fluid-keys")).toMatchObject({ active: "key1", key1: "fluid-original-1", key2: "fluid-original-2" });
  expect(fluidKeys).toEqual({ key1: "fluid-original-1", key2: "fluid-original-2" });
  // The vault document is the only place keys went: never the output, never a tag.
  expect(r.out + r.err).not.toMatch(/fluid-original|contract-double-master-key/);
  expect(JSON.stringify(azure.secrets.get("cosmos-keys")!.at(-1)!.tags)).not.toContain(cosmos.masterKeys.primary);
});

it("--wait with the hold passed runs both rotations to the end: every key regenerated, the vault following", async () => {
  const before = { fluid: { ...fluidKeys }, cosmos: { ...cosmos.masterKeys } };
  const r = await run(["--env", "dev", "--wait", "policies"], deps({ holdMs: 50 }));
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(r.out).toContain("fluid: rotation complete; key2 signs, both keys regenerated");
  expect(r.out).toContain("cosmos: rotation complete; key2 signs, both keys regenerated");
  expect(fluidKeys.key1).not.toBe(before.fluid.key1);
  expect(fluidKeys.key2).not.toBe(before.fluid.key2);
  expect(cosmos.masterKeys.primary).not.toBe(before.cosmos.primary);
  expect(doc("fluid-keys")).toMatchObject({ active: "key2", ...fluidKeys });
  expect(doc("cosmos-keys")).toMatchObject({ key1: cosmos.masterKeys.primary, key2: cosmos.masterKeys.secondary });
  // Cosmos' regenerateKey is a long-running ARM operation: the command followed Azure-AsyncOperation to the end.
  expect(azure.calls.filter((c) => c.startsWith("GET /operations/")).length).toBeGreaterThanOrEqual(2 * 3);
  const steps = r.audit.filter((a) => a.resource === "cosmos").map((a) => a.step);
  expect(steps).toEqual(["regenerated", "switched", "regenerated", "completed"]);
  expect(r.audit.every((a) => a.by.startsWith("cli:"))).toBe(true);
});

it("on a schedule (--every) it does nothing until the interval has passed", async () => {
  const r = await run(["--env", "dev", "--every", "30", "policies"], deps({ holdMs: 50 }));
  expect(r.code).toBe(0);
  expect(r.out).toContain("fluid: nothing due; key2 signs");
  expect(r.audit).toEqual([]);
});

it("a key regenerated behind the rotation's back (the portal) is adopted at once, and audited as drift", async () => {
  fluidKeys.key2 = "regenerated-in-the-portal";
  const r = await run(["--env", "dev", "--backend", "fluid", "--every", "30", "policies"]);
  expect(r.code).toBe(0);
  expect(r.audit.map((a) => a.step)).toEqual(["drift"]);
  expect(doc("fluid-keys")).toMatchObject({ key2: "regenerated-in-the-portal", active: "key1" });
});

it("a vault that refuses is exit 1 naming the step and the status, and the run can resume", async () => {
  azure.faults.vaultStatus = 403;
  try {
    const r = await run(["--env", "dev", "--backend", "cosmos", "policies"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^cosmos: cosmos key rotation: read cosmos-keys: HTTP 403 .*lacks Key Vault Secrets Officer on the vault$/,
    );
    expect(r.err).not.toContain("token-for");
    expect(r.audit.map((a) => a.step)).toEqual(["failed"]);
  } finally {
    azure.faults.vaultStatus = 0;
  }
  const again = await run(["--env", "dev", "--backend", "cosmos", "policies"]);
  expect(again.code).toBe(0);
  expect(again.out).toMatch(/^cosmos: /m);
});

it("refuses what it cannot do: no subscription, an unknown environment, a backend the environment does not mint", async () => {
  expect((await run(["--env", "dev", "policies"], deps({ env: {} }))).err).toContain("name the subscription");
  expect((await run(["--env", "nowhere", "policies"])).err).toContain("no deployable environment 'nowhere'");
  expect((await run(["--env", "dev", "--backend", "cdn", "policies"])).code).toBe(2);
  const help: string[] = [];
  expect(await main(["keys", "rotate", "--help"], (s) => help.push(s))).toBe(0);
  expect(help.join("\n")).toContain("token-broker keys rotate --env <name>");
});
