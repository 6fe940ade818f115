/**
 * The app settings after apply, made right for identity-based host storage: azurerm 4.55 writes an
 * `AzureWebJobsStorage` connection string with an empty AccountKey next to the `AzureWebJobsStorage__accountName`
 * the stack sets (lib/constructs/broker-function.ts, HOST_STORAGE_SETTING), and the Functions host would take the
 * connection string. Without the provider's cooperation the only fix is to remove it after every apply; the provider
 * reads it back into `storage_access_key`, not `app_settings`, so removing it causes no drift
 * (function_app_flex_consumption_resource.go:1081-1082 at v4.55.0).
 */
import { HOST_STORAGE_SETTING } from "../constructs/host-storage";

export interface HostStorageFix {
  settings: Record<string, string>;
  /** Names removed (never values: the connection string could carry a key). */
  removed: string[];
}

export function withIdentityHostStorage(settings: Record<string, string>): HostStorageFix {
  const identityBased = Object.keys(settings).some(
    (k) => k.toLowerCase() === HOST_STORAGE_SETTING.accountName.toLowerCase(),
  );
  if (!identityBased) return { settings, removed: [] };
  const removed = Object.keys(settings).filter(
    (k) => k.toLowerCase() === HOST_STORAGE_SETTING.connectionString.toLowerCase(),
  );
  const kept = Object.fromEntries(Object.entries(settings).filter(([k]) => !removed.includes(k)));
  return { settings: kept, removed };
}
