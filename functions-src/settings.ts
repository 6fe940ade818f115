/**
 * The broker's configuration from app settings. Keys are read at mint time, so a rotated key applies without a
 * redeploy: in Azure from the rotated key documents in Key Vault (KEY_VAULT_URL, keys/rotated-key-source.ts), in
 * local runs from FLUID_KEY1/2, FLUID_ACTIVE_KEY and COSMOS_KEY. A missing backend's settings leave that minter out.
 */
import type { BlobServiceClient } from "@azure/storage-blob";
import { APP_SETTING } from "../lib/policy/runtime/app-settings";
import type { CdnSettings } from "./mint/cdn-minter";
import type { CosmosSettings } from "./mint/cosmos-minter";
import type { FluidSettings } from "./mint/fluid-minter";
import { requireSecret } from "./secrets";
import { userDelegationKeySource } from "./mint/user-delegation-key";
import { identitySdk, storageSdk } from "./load-sdk";
import { activeKey, KEY_SECRET } from "./keys/key-document";
import { rotatedKeysFromEnvironment } from "./keys/keys-from-environment";
import type { RotatedKeySource } from "./keys/rotated-key-source";

type Env = Readonly<Record<string, string | undefined>>;

export function fluidSettings(
  env: Env,
  keys: RotatedKeySource | undefined = rotatedKeysFromEnvironment(env),
): (() => FluidSettings) | undefined {
  if (!env[APP_SETTING.fluidTenantId]) return undefined;
  const rotated = keys?.has(KEY_SECRET.fluid) ? keys : undefined;
  const tenantKeys = (): Pick<FluidSettings, "key1" | "key2" | "active"> => {
    if (!rotated)
      return {
        key1: requireSecret(env, APP_SETTING.fluidKey1),
        key2: requireSecret(env, APP_SETTING.fluidKey2),
        active: env[APP_SETTING.fluidActiveKey] === "key2" ? "key2" : "key1",
      };
    const { key1, key2, active } = rotated.current(KEY_SECRET.fluid);
    return { key1, key2, active };
  };
  return () => ({
    tenantId: env[APP_SETTING.fluidTenantId]!,
    endpoint: env[APP_SETTING.fluidEndpoint] ?? "",
    ...tenantKeys(),
  });
}

export function cosmosSettings(
  env: Env,
  keys: RotatedKeySource | undefined = rotatedKeysFromEnvironment(env),
): (() => CosmosSettings) | undefined {
  const rotated = keys?.has(KEY_SECRET.cosmos) ? keys : undefined;
  if (!env[APP_SETTING.cosmosEndpoint] || !(rotated || env[APP_SETTING.cosmosKey])) return undefined;
  return () => ({
    endpoint: env[APP_SETTING.cosmosEndpoint]!,
    database: env[APP_SETTING.cosmosDatabase] ?? "",
    key: rotated ? activeKey(rotated.current(KEY_SECRET.cosmos)) : requireSecret(env, APP_SETTING.cosmosKey),
  });
}

export function cdnSettings(env: Env): (() => CdnSettings) | undefined {
  const originUrl = env[APP_SETTING.cdnOriginContainerUrl];
  if (!originUrl) return undefined;
  const origin = new URL(originUrl);
  const container = origin.pathname.split("/").filter(Boolean).pop()!;
  const accountName = env[APP_SETTING.cdnAccountName] ?? origin.hostname.split(".")[0];
  const baseUrl = env[APP_SETTING.cdnEndpoint] ?? originUrl;
  if (env[APP_SETTING.cdnSigning] === "account-key") {
    return () => ({
      baseUrl,
      container,
      signer: {
        kind: "account-key",
        accountName,
        keys: {
          primary: requireSecret(env, APP_SETTING.cdnAccountKey),
          secondary: env[APP_SETTING.cdnAccountKeySecondary],
          active: env[APP_SETTING.cdnActiveKey] === "secondary" ? "secondary" : "primary",
        },
      },
    });
  }
  // Default in Azure: keyless, through the function's system identity.
  const serviceUrl = `${origin.protocol}//${origin.host}`;
  // The Storage and Identity SDKs load when the first user delegation key is asked for, not at start.
  let client: BlobServiceClient | undefined;
  const keys = userDelegationKeySource({
    getUserDelegationKey: (startsOn, expiresOn) => {
      client ??= new (storageSdk().BlobServiceClient)(serviceUrl, new (identitySdk().ManagedIdentityCredential)());
      return client.getUserDelegationKey(startsOn, expiresOn);
    },
  });
  return () => ({ baseUrl, container, signer: { kind: "user-delegation", accountName, userDelegationKey: keys } });
}
