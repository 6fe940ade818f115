/**
 * Secrets from configuration (in Azure: Key Vault references resolved by App Service). If a reference cannot be
 * resolved, App Service passes the literal `@Microsoft.KeyVault(...)` text to the app
 * (learn.microsoft.com/azure/app-service/app-service-key-vault-references, troubleshooting): that text must
 * never become a signing key, so it is refused like a missing secret, and the broker answers 503.
 */
export class SecretUnavailableError extends Error {
  readonly code = "ERR_SECRET_UNAVAILABLE";
  constructor(readonly setting: string) {
    // Names the setting only, never its value.
    super(`secret setting ${setting} is missing or its Key Vault reference did not resolve`);
    this.name = "SecretUnavailableError";
  }
}

export function requireSecret(settings: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = settings[name];
  if (value === undefined || value.trim() === "" || /^@Microsoft\.KeyVault\(/i.test(value.trim())) throw new SecretUnavailableError(name);
  return value;
}
