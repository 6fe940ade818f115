/**
 * Issue 18.3: every deployed environment that mints Cosmos resource tokens collects expired Cosmos users without a
 * flag. The timer (functions-src/adapters/cosmos-gc-timer.ts) runs whenever the app has the Cosmos settings and
 * COSMOS_GC is not `off`; it needs no shared store. So each deployable stack must give the Function App those
 * settings, never COSMOS_GC, and an ephemeral environment (no Redis) is no exception.
 */
import { APP_SETTING } from "../../lib/policy/authoring/infra-needs";
import { only, synthEnvironment } from "./helpers";

it.each(["dev", "prod", "pr-7"])("%s: the GC timer finds its settings and no switch turns it off", (env) => {
  const { json, compiled } = synthEnvironment(env);
  expect(compiled.infra.cosmos?.mintsResourceTokens).toBe(true);
  const settings = only(json.resource, "azurerm_function_app_flex_consumption").app_settings as Record<string, string>;
  expect(settings[APP_SETTING.cosmosEndpoint]).toBeTruthy();
  expect(settings[APP_SETTING.cosmosDatabase]).toBe(compiled.infra.cosmos!.database);
  // The key the collector signs with: the rotated key document in Key Vault (issue 18.2), never a literal setting.
  expect(settings[APP_SETTING.cosmosKey]).toBeUndefined();
  expect(settings[APP_SETTING.keyVaultUrl]).toBeTruthy();
  expect(settings[APP_SETTING.rotatedKeys]?.split(",")).toContain("cosmos");
  expect(Object.keys(settings).filter((k) => k.startsWith("COSMOS_GC"))).toEqual([]);
  if (env === "pr-7") expect(settings[APP_SETTING.sharedStoreUrl]).toBeUndefined();
});
