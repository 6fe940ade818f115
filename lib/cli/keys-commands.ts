/**
 * `token-broker keys rotate --env <name> [--backend fluid|cosmos] [--subscription <id>] [--every <days>] [--wait]
 * [dir | --policies <dir>]`: advances the key rotation (lib/keys/rotation.ts) of one environment's Fluid Relay and
 * Cosmos DB keys, against Azure: ARM for the keys, the environment's Key Vault for the key documents the broker reads.
 * - on demand (no --every): starts a rotation, or continues the one in progress, as far as time allows;
 * - on a schedule (--every 30): starts one only when the last started 30 days ago or more, and otherwise only
 *   continues what is pending (.github/workflows/key-rotation.yml runs it hourly);
 * - --wait: stays until the rotation completes (hours in Azure: the hold is 5 min + the longest credential + 5 min).
 * Resource names come from the policy's environment (lib/constructs/naming.ts), the subscription from --subscription
 * or AZURE_SUBSCRIPTION_ID, the identity from DefaultAzureCredential (az login, or azure/login in a workflow). It needs
 * listKeys/regenerateKey on both resources and Key Vault Secrets Officer on the vault (the deploying identity has
 * these). Every step prints one audit record (a JSON line); no key is ever printed.
 */
import { userInfo } from "node:os";
import { parseCommandArgs } from "./parse-command-args";
import type { TokenCredential } from "@azure/identity";
import type { KeyRotationAuditRecord } from "../../functions-src/audit";
import { resourceName, type NamingContext } from "../constructs/naming";
import { waitForCosmosKey } from "../keys/cosmos-key-check";
import { advanceRotation, rotateToCompletion, type RotationState } from "../keys/rotation";
import type { TwoKeyResource } from "../keys/two-key-resource";
import { deployableEnvironments } from "../policy/authoring/infra-needs";
import { ARM_ENDPOINT, DeployStepError } from "./azure-rest";
import { azureClients, cosmosAccountKeys, fluidRelayKeys, keyVaultStore } from "./keys-azure";
import { findPolicyDir, PolicyDirError } from "./policy-dir";

type Print = (s: string) => void;

/** What tests replace: Azure's endpoints and identity, the clock, and the hold. */
export interface KeysCommandDeps {
  credential?: TokenCredential;
  armEndpoint?: string;
  vaultUrl?: (vaultName: string) => string;
  cosmosEndpoint?: (accountName: string) => string;
  holdMs?: number;
  /** Between polls of a long-running ARM operation. @default 10 s */
  pollMs?: number;
  env?: NodeJS.ProcessEnv;
}

const USAGE =
  "usage: token-broker keys rotate --env <name> [--backend fluid|cosmos] [--subscription <id>] [--every <days>] [--wait]";

export async function runKeysCommand(
  command: string,
  argv: string[],
  out: Print,
  err: Print,
  deps: KeysCommandDeps = {},
): Promise<number> {
  if (command !== "rotate") {
    err(`unknown command 'keys ${command}'; try: rotate`);
    return 2;
  }
  const parsed = parseCommandArgs(
    {
      args: argv,
      options: {
        env: { type: "string" },
        backend: { type: "string" },
        subscription: { type: "string" },
        every: { type: "string" },
        wait: { type: "boolean" },
        policies: { type: "string" },
      },
      allowPositionals: true,
    },
    (message) => err(`token-broker keys rotate: ${message}\n${USAGE}`),
  );
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const env = deps.env ?? process.env;
  const every = values.every === undefined ? undefined : Number(values.every);
  if (!values.env || positionals.length > 1 || (every !== undefined && !(Number.isInteger(every) && every >= 1))) {
    err(every !== undefined && !(every >= 1) ? "token-broker keys rotate: --every takes a number of days >= 1" : USAGE);
    return 2;
  }
  if (values.backend !== undefined && values.backend !== "fluid" && values.backend !== "cosmos") {
    err(`token-broker keys rotate: --backend is fluid or cosmos, not '${values.backend}'`);
    return 2;
  }
  const subscription = values.subscription ?? env.AZURE_SUBSCRIPTION_ID;
  if (!subscription) {
    err("token-broker keys rotate: name the subscription (--subscription <id> or AZURE_SUBSCRIPTION_ID)");
    return 2;
  }

  let infra;
  try {
    const dir = findPolicyDir(positionals[0], values.policies);
    const pr = /-([1-9][0-9]{0,4})$/.exec(values.env)?.[1];
    infra = deployableEnvironments(dir, pr).find((e) => e.infra.environment.name === values.env)?.infra;
  } catch (e) {
    if (!(e instanceof PolicyDirError) && !(e instanceof Error && e.name === "PolicyError")) throw e;
    err(`token-broker keys rotate: ${(e as Error).message}`);
    return 2;
  }
  if (!infra) {
    err(`token-broker keys rotate: no deployable environment '${values.env}' in environments.yaml`);
    return 2;
  }
  const minted = [
    ...(infra.fluid?.mintsTokens ? (["fluid"] as const) : []),
    ...(infra.cosmos?.mintsResourceTokens ? (["cosmos"] as const) : []),
  ];
  const wanted = values.backend ? minted.filter((b) => b === values.backend) : minted;
  if (wanted.length === 0) {
    err(
      values.backend
        ? `token-broker keys rotate: '${values.env}' mints no ${values.backend} credentials, so it has no ${values.backend} key to rotate`
        : `token-broker keys rotate: '${values.env}' mints no Fluid or Cosmos credentials: no key to rotate`,
    );
    return 2;
  }

  const naming: NamingContext = { workload: infra.azure.workload, environment: infra.environment.name };
  const group = `/subscriptions/${encodeURIComponent(subscription)}/resourceGroups/${resourceName("resourceGroup", naming)}`;
  const armEndpoint = deps.armEndpoint ?? ARM_ENDPOINT;
  const credential = deps.credential ?? new (await import("@azure/identity")).DefaultAzureCredential();
  const { arm, vault } = azureClients(credential);
  const vaultName = resourceName("keyVault", naming);
  const store = keyVaultStore(vault, deps.vaultUrl?.(vaultName) ?? `https://${vaultName}.vault.azure.net`);
  const resources: TwoKeyResource[] = wanted.map((backend) => {
    if (backend === "fluid") {
      const id = `${group}/providers/Microsoft.FluidRelay/fluidRelayServers/${resourceName("fluidRelay", naming)}`;
      return fluidRelayKeys(arm, armEndpoint, id);
    }
    const account = resourceName("cosmosAccount", naming);
    const endpoint = deps.cosmosEndpoint?.(account) ?? `https://${account}.documents.azure.com:443/`;
    const id = `${group}/providers/Microsoft.DocumentDB/databaseAccounts/${account}`;
    return cosmosAccountKeys(arm, armEndpoint, id, {
      verify: (key) => waitForCosmosKey(endpoint, key),
      ...(deps.pollMs !== undefined && { pollMs: deps.pollMs }),
    });
  });

  const by = env.GITHUB_RUN_ID
    ? `schedule:${env.GITHUB_REPOSITORY ?? "github"}/actions/runs/${env.GITHUB_RUN_ID}`
    : `cli:${userInfo().username}`;
  const options = {
    by,
    audit: (record: KeyRotationAuditRecord) => out(JSON.stringify({ audit: record })),
    ...(deps.holdMs !== undefined && { holdMs: deps.holdMs }),
    ...(every !== undefined ? { everyMs: every * 86_400_000 } : { start: true }),
  };
  let failed = false;
  for (const resource of resources) {
    try {
      const state = values.wait
        ? await rotateToCompletion(resource, store, options)
        : await advanceRotation(resource, store, options);
      out(`${resource.resource}: ${describe(state)}`);
    } catch (e) {
      // Messages name the step and the HTTP status (azure-rest.ts), never a key or a token.
      err(`${resource.resource}: ${e instanceof DeployStepError || e instanceof Error ? e.message : String(e)}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

function describe(state: RotationState): string {
  switch (state.state) {
    case "idle":
      return `nothing due; ${state.active} signs`;
    case "waiting":
      return state.next === "start"
        ? `rotation requested; it starts at ${state.until} (the idle key may still be in use until then); run again then`
        : `${state.active} signs; the other key is regenerated at ${state.until}; run again then`;
    case "switched":
      return `switched to ${state.active} (regenerated); the other key is regenerated at ${state.until}; run again then`;
    case "completed":
      return `rotation complete; ${state.active} signs, both keys regenerated`;
  }
}
