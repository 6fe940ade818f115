/**
 * The rotation's guard, step by step on an injected clock: no key is regenerated while something may still use it
 * (a hold after every switch), each step is one vault write and one audit record, and a failed step leaves the
 * document as it was so the next run resumes. ARM and Key Vault are the REST contract double over HTTP.
 */
import type { KeyRotationAuditRecord } from "../../functions-src/audit";
import { azureClients, fluidRelayKeys, keyVaultStore } from "../../lib/cli/keys-azure";
import { advanceRotation, holdFor } from "../../lib/keys/rotation";
import { AzureKeysRestContractDouble, testCredential } from "../../lib/local/azure-keys-rest-contract-double";

const SERVER = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.FluidRelay/fluidRelayServers/frs";
const keys = { key1: "k1-v0", key2: "k2-v0" };
let generation = 0;
let refuse = false;
const azure = new AzureKeysRestContractDouble({
  fluid: {
    serverId: SERVER,
    holder: {
      keys: () => ({ ...keys }),
      regenerate: (slot) => {
        if (refuse) throw new Error("refused");
        keys[slot] = `${slot.replace("key", "k")}-v${++generation}`;
      },
    },
  },
});
beforeAll(() => azure.start());
afterAll(() => azure.stop());

const HOUR = 3_600_000;
it("holds each key until nothing can use it: broker bound + longest credential + skew after every switch", async () => {
  expect(holdFor("fluid")).toBe(5 * 60_000 + HOUR + 5 * 60_000);
  expect(holdFor("cosmos")).toBe(5 * 60_000 + 5 * HOUR + 5 * 60_000);
  const { arm, vault } = azureClients(testCredential);
  const resource = fluidRelayKeys(arm, azure.armEndpoint, SERVER);
  const store = keyVaultStore(vault, azure.vaultUrl);
  const audit: KeyRotationAuditRecord[] = [];
  let now = Date.parse("2026-12-01T00:00:00Z");
  const step = (start = false) =>
    advanceRotation(resource, store, { start, now: () => now, audit: (r) => audit.push(r), by: "test" });
  const hold = holdFor("fluid");

  expect(await step(true)).toMatchObject({ state: "waiting", next: "start" }); // adopts, then waits a full hold
  now += hold - 1;
  expect(await step()).toMatchObject({ state: "waiting", next: "start" });
  expect(keys).toEqual({ key1: "k1-v0", key2: "k2-v0" });
  now += 1;
  expect(await step()).toMatchObject({ state: "switched", active: "key2" });
  expect(keys).toEqual({ key1: "k1-v0", key2: "k2-v1" }); // only the idle key changed
  now += hold - 1;
  expect(await step()).toMatchObject({ state: "waiting", next: "regenerate" });
  expect(keys.key1).toBe("k1-v0"); // the key the broker used until the switch is still alive
  now += 1;
  expect(await step()).toMatchObject({ state: "completed", active: "key2" });
  expect(keys).toEqual({ key1: "k1-v2", key2: "k2-v1" });
  // The next rotation may start at once: the last switch was a hold ago, so the idle key1 is past its users.
  expect(await step(true)).toMatchObject({ state: "switched", active: "key1" });
  expect(audit.map((a) => a.step)).toEqual([
    "initialized",
    "requested",
    "waiting",
    "waiting",
    "regenerated",
    "switched",
    "waiting",
    "regenerated",
    "completed",
    "regenerated",
    "switched",
  ]);
  // One vault version per write: the broker never sees half a step.
  const versions = azure.secrets.get("fluid-keys")!.map((v) => JSON.parse(v.value));
  expect(versions.map((v) => `${v.active} ${v.pending?.regenerate ?? "-"}`)).toEqual([
    "key1 -",
    "key2 key1",
    "key2 -",
    "key1 key2",
  ]);
});

it("a failed regeneration changes nothing in the vault and is audited; the next run retries the same step", async () => {
  const { arm, vault } = azureClients(testCredential);
  const resource = fluidRelayKeys(arm, azure.armEndpoint, SERVER);
  const store = keyVaultStore(vault, azure.vaultUrl);
  const audit: KeyRotationAuditRecord[] = [];
  const before = azure.secrets.get("fluid-keys")!.length;
  const now = Date.now() + 10 * HOUR; // the pending regeneration of key2 is due
  refuse = true;
  try {
    await expect(
      advanceRotation(resource, store, { now: () => now, audit: (r) => audit.push(r), by: "test" }),
    ).rejects.toThrow(/fluid key rotation: fluid regenerate key2: HTTP 500/);
  } finally {
    refuse = false;
  }
  expect(azure.secrets.get("fluid-keys")!.length).toBe(before);
  expect(audit.map((a) => a.step)).toEqual(["failed"]);
  expect(
    await advanceRotation(resource, store, { now: () => now, audit: (r) => audit.push(r), by: "test" }),
  ).toMatchObject({ state: "completed", active: "key1" });
});
