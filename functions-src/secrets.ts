/**
 * Secrets from configuration (in Azure: Key Vault references resolved by App Service). If a reference cannot be
 * resolved, App Service passes the literal `@Microsoft.KeyVault(...)` text to the app
 * (learn.microsoft.com/azure/app-service/app-service-key-vault-references, troubleshooting): that text must
 * never become a signing key, so it is refused like a missing secret, and the broker answers 503.
 */
import { SecretUnavailableError } from "./errors";

export { SecretUnavailableError };

export function requireSecret(settings: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = settings[name];
  if (value === undefined || value.trim() === "" || /^@Microsoft\.KeyVault\(/i.test(value.trim()))
    throw new SecretUnavailableError(name);
  return value;
}
