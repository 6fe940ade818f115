/**
 * Which store this broker instance uses, from app settings. SHARED_STORE_URL set: Redis, with Entra auth when
 * SHARED_STORE_ENTRA=true (user name: SHARED_STORE_ENTRA_OBJECT_ID, or the `oid` of the identity's own token);
 * unset: in-memory, single-instance semantics.
 * The choice is announced once at start, so an operator can see which semantics a deployment runs with.
 */
import { APP_SETTING } from "../../lib/policy/runtime/app-settings";
import { MemoryStore } from "./memory-store";
import { RedisStore } from "./redis-store";
import { identitySdk } from "../load-sdk";
import type { SharedStore } from "./shared-store";

type Env = Readonly<Record<string, string | undefined>>;

export async function storeFromEnvironment(env: Env, announce: (line: string) => void): Promise<SharedStore> {
  const url = env[APP_SETTING.sharedStoreUrl];
  if (!url) {
    announce(
      "token broker: no shared store configured (SHARED_STORE_URL unset): in-memory store, single-instance " +
        "semantics; revocations and the rate budget are not shared between instances",
    );
    return new MemoryStore();
  }
  const objectId = env.SHARED_STORE_ENTRA_OBJECT_ID;
  const entra = env[APP_SETTING.sharedStoreEntra] === "true" || objectId !== undefined;
  const credential = () =>
    new (identitySdk().ManagedIdentityCredential)(env.AZURE_CLIENT_ID ? { clientId: env.AZURE_CLIENT_ID } : undefined);
  const store = await RedisStore.connect({ url, ...(entra && { entra: { objectId, credential: credential() } }) });
  announce(
    `token broker: shared store redis at ${new URL(url).host}${entra ? " (Entra auth)" : ""}: revocations and the rate budget hold across instances`,
  );
  return store;
}
