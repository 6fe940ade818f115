/**
 * The rotation's Azure side over REST (AzureRest, ARM token for ARM calls, a Key Vault token for the vault):
 * - Fluid Relay, api-version 2022-06-01 ("Fluid Relay Servers - List Keys" / "- Regenerate Key",
 *   learn.microsoft.com/rest/api/fluidrelay/fluid-relay-servers): POST .../listKeys -> {key1, key2};
 *   POST .../regenerateKey {"keyName": "key1" | "key2"} -> 200 with both keys.
 * - Cosmos DB, api-version 2024-11-15 ("Database Accounts - List Keys" / "- Regenerate Key",
 *   learn.microsoft.com/rest/api/cosmos-db-resource-provider/database-accounts): POST .../listKeys ->
 *   {primaryMasterKey, secondaryMasterKey, ...}; POST .../regenerateKey {"keyKind": "primary" | "secondary"} -> 200,
 *   or 202 with Azure-AsyncOperation / Location to poll until the operation is Succeeded (ARM async operations,
 *   learn.microsoft.com/azure/azure-resource-manager/management/async-operations).
 * - Key Vault, api-version 7.4 ("Set Secret" PUT {vault}/secrets/{name} {value, contentType, tags}, "Get Secret").
 * Errors name the step and the status; no key reaches a message (request bodies are never echoed, and answers that
 * carry keys are parsed, not quoted).
 */
import type { TokenCredential } from "@azure/identity";
import { parseKeyDocument, type KeyDocument, type KeySlot } from "../../functions-src/keys/key-document";
import { KEY_VAULT_API_VERSION, KEY_VAULT_SCOPE } from "../../functions-src/keys/key-vault-secret-reader";
import type { KeyDocumentStore, TwoKeyResource } from "../keys/two-key-resource";
import { AzureRest, DeployStepError } from "./azure-rest";

export const FLUID_RELAY_API_VERSION = "2022-06-01";
export const COSMOS_ARM_API_VERSION = "2024-11-15";

const ROLE_HINT = (what: string) => (status: number) =>
  status === 403 ? `the signed-in identity lacks ${what}` : undefined;

export function fluidRelayKeys(arm: AzureRest, armEndpoint: string, serverId: string): TwoKeyResource {
  const url = (action: string) => `${armEndpoint}${serverId}/${action}?api-version=${FLUID_RELAY_API_VERSION}`;
  const hint = ROLE_HINT("Microsoft.FluidRelay/fluidRelayServers/listKeys and regenerateKey (Contributor)");
  const keys = (json: unknown) => {
    const k = json as { key1?: unknown; key2?: unknown };
    if (typeof k.key1 !== "string" || typeof k.key2 !== "string")
      throw new DeployStepError("fluid keys", "the answer has no key1/key2");
    return { key1: k.key1, key2: k.key2 };
  };
  return {
    resource: "fluid",
    listKeys: async () =>
      keys((await arm.call("fluid list keys", "POST", url("listKeys"), [200], undefined, hint)).json()),
    async regenerateKey(slot) {
      const body = { data: JSON.stringify({ keyName: slot }), contentType: "application/json" };
      await arm.call(`fluid regenerate ${slot}`, "POST", url("regenerateKey"), [200], body, hint);
    },
  };
}

export function cosmosAccountKeys(
  arm: AzureRest,
  armEndpoint: string,
  accountId: string,
  options: { verify?: (key: string) => Promise<void>; pollMs?: number; maxPolls?: number } = {},
): TwoKeyResource {
  const url = (action: string) => `${armEndpoint}${accountId}/${action}?api-version=${COSMOS_ARM_API_VERSION}`;
  const hint = ROLE_HINT(
    "Microsoft.DocumentDB/databaseAccounts/listKeys and regenerateKey (DocumentDB Account Contributor)",
  );
  const kind = (slot: KeySlot) => (slot === "key1" ? "primary" : "secondary");
  return {
    resource: "cosmos",
    async listKeys() {
      const k = (await arm.call("cosmos list keys", "POST", url("listKeys"), [200], undefined, hint)).json() as {
        primaryMasterKey?: unknown;
        secondaryMasterKey?: unknown;
      };
      if (typeof k.primaryMasterKey !== "string" || typeof k.secondaryMasterKey !== "string")
        throw new DeployStepError("cosmos list keys", "the answer has no primaryMasterKey/secondaryMasterKey");
      return { key1: k.primaryMasterKey, key2: k.secondaryMasterKey };
    },
    async regenerateKey(slot) {
      const step = `cosmos regenerate ${kind(slot)}`;
      const body = { data: JSON.stringify({ keyKind: kind(slot) }), contentType: "application/json" };
      const answer = await arm.call(step, "POST", url("regenerateKey"), [200, 202], body, hint);
      if (answer.status === 200) return;
      const poll = answer.headers.get("azure-asyncoperation") ?? answer.headers.get("location");
      if (!poll) throw new DeployStepError(step, "202 without Azure-AsyncOperation or Location to follow");
      for (let i = 0; i < (options.maxPolls ?? 360); i++) {
        await new Promise((r) => setTimeout(r, options.pollMs ?? 10_000));
        const status = await arm.call(step, "GET", poll, [200, 202]);
        if (status.status === 202) continue;
        const state = (status.json() as { status?: string }).status;
        // A Location poll answers 200 with the result when done; an Azure-AsyncOperation poll carries a status.
        if (state === undefined || state === "Succeeded") return;
        if (state === "Failed" || state === "Canceled") throw new DeployStepError(step, `the operation ${state}`);
      }
      throw new DeployStepError(step, "the operation did not finish in time; run the rotation again later");
    },
    verifyKey: options.verify ? (_slot, key) => options.verify!(key) : undefined,
  };
}

export function keyVaultStore(vault: AzureRest, vaultUrl: string): KeyDocumentStore {
  const base = vaultUrl.replace(/\/+$/, "");
  const url = (name: string) => `${base}/secrets/${encodeURIComponent(name)}?api-version=${KEY_VAULT_API_VERSION}`;
  const hint = ROLE_HINT("Key Vault Secrets Officer on the vault");
  return {
    async read(name) {
      const answer = await vault.call(`read ${name}`, "GET", url(name), [200, 404], undefined, hint);
      if (answer.status === 404) return undefined;
      const value = (answer.json() as { value?: unknown }).value;
      if (typeof value !== "string") throw new DeployStepError(`read ${name}`, "the secret has no value");
      try {
        return parseKeyDocument(value, name);
      } catch {
        // Not ours, or damaged: stop rather than overwrite what someone else keeps under this name.
        throw new DeployStepError(`read ${name}`, "the secret is not a token-broker key document");
      }
    },
    async write(name, doc: KeyDocument) {
      // Tags show the rotation's state in the portal without opening the value.
      const tags = {
        active: doc.active,
        switchedAt: doc.switchedAt,
        ...(doc.pending && { pending: doc.pending.regenerate }),
      };
      const body = { value: JSON.stringify(doc), contentType: "application/json", tags };
      await vault.call(
        `write ${name}`,
        "PUT",
        url(name),
        [200],
        { data: JSON.stringify(body), contentType: "application/json" },
        hint,
      );
    },
  };
}

/** The ARM and Key Vault clients for one credential. */
export function azureClients(credential: TokenCredential, fetchImpl?: typeof fetch) {
  return {
    arm: new AzureRest({ credential, fetch: fetchImpl, timeoutMs: 60_000 }),
    vault: new AzureRest({ credential, fetch: fetchImpl, timeoutMs: 30_000, scope: KEY_VAULT_SCOPE }),
  };
}
