/**
 * The broker's configuration from app settings (Key Vault references for secrets). Secrets are read at mint time,
 * so a rotated key applies without a redeploy; a missing backend's settings just leave that minter out (503).
 */
import { ManagedIdentityCredential } from "@azure/identity";
import { BlobServiceClient } from "@azure/storage-blob";
import type { CdnSettings } from "./mint/cdn-minter";
import type { CosmosSettings } from "./mint/cosmos-minter";
import type { FluidSettings } from "./mint/fluid-minter";
import { requireSecret } from "./secrets";
import { userDelegationKeySource } from "./mint/user-delegation-key";

type Env = Readonly<Record<string, string | undefined>>;

export function fluidSettings(env: Env): (() => FluidSettings) | undefined {
  if (!env.FLUID_TENANT_ID) return undefined;
  return () => ({
    tenantId: env.FLUID_TENANT_ID!,
    endpoint: env.FLUID_ORDERER_ENDPOINT ?? "",
    key1: requireSecret(env, "FLUID_KEY1"),
    key2: requireSecret(env, "FLUID_KEY2"),
    active: env.FLUID_ACTIVE_KEY === "key2" ? "key2" : "key1",
  });
}

export function cosmosSettings(env: Env): (() => CosmosSettings) | undefined {
  if (!env.COSMOS_ENDPOINT || !env.COSMOS_KEY) return undefined;
  return () => ({ endpoint: env.COSMOS_ENDPOINT!, database: env.COSMOS_DATABASE ?? "", key: requireSecret(env, "COSMOS_KEY") });
}

export function cdnSettings(env: Env): (() => CdnSettings) | undefined {
  if (!env.CDN_ORIGIN_CONTAINER_URL) return undefined;
  const origin = new URL(env.CDN_ORIGIN_CONTAINER_URL);
  const container = origin.pathname.split("/").filter(Boolean).pop()!;
  const accountName = env.CDN_ACCOUNT_NAME ?? origin.hostname.split(".")[0];
  const baseUrl = env.CDN_ENDPOINT ?? env.CDN_ORIGIN_CONTAINER_URL;
  if (env.CDN_SIGNING === "account-key") {
    return () => ({
      baseUrl,
      container,
      signer: { kind: "account-key", accountName, keys: { primary: requireSecret(env, "CDN_ACCOUNT_KEY"), secondary: env.CDN_ACCOUNT_KEY_SECONDARY, active: env.CDN_ACTIVE_KEY === "secondary" ? "secondary" : "primary" } },
    });
  }
  // Default in Azure: keyless, through the function's system identity.
  const serviceUrl = `${origin.protocol}//${origin.host}`;
  const keys = userDelegationKeySource(new BlobServiceClient(serviceUrl, new ManagedIdentityCredential()));
  return () => ({ baseUrl, container, signer: { kind: "user-delegation", accountName, userDelegationKey: keys } });
}
