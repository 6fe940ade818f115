/**
 * Reads a Key Vault secret's current version over the data-plane REST API ("Get Secret",
 * learn.microsoft.com/rest/api/keyvault/secrets/get-secret/get-secret: GET {vault}/secrets/{name}?api-version=7.4,
 * bearer token for https://vault.azure.net, 404 SecretNotFound when absent). The Function App's identity holds
 * Key Vault Secrets User on the vault (lib/constructs/key-vault.ts grantSecretsRead). No SDK: one GET is all it needs.
 * Errors name the secret and the HTTP status, never a value.
 */
import type { SecretReader } from "./rotated-key-source";

export const KEY_VAULT_SCOPE = "https://vault.azure.net/.default";
export const KEY_VAULT_API_VERSION = "7.4";

export function keyVaultSecretReader(
  vaultUrl: string,
  bearer: () => Promise<string>,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): SecretReader {
  const base = vaultUrl.replace(/\/+$/, "");
  return async (name) => {
    const url = `${base}/secrets/${encodeURIComponent(name)}?api-version=${KEY_VAULT_API_VERSION}`;
    const response = await (options.fetch ?? fetch)(url, {
      headers: { authorization: `Bearer ${await bearer()}` },
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new Error(`Key Vault answered ${response.status} for secret ${name}`);
    const body = (await response.json()) as { value?: unknown };
    if (typeof body.value !== "string") throw new Error(`Key Vault secret ${name} has no value`);
    return body.value;
  };
}
