/**
 * A regenerated Cosmos DB key is used only once the account accepts it: Microsoft's rotation steps say to validate
 * the new key first, as regeneration "can take anywhere from one minute to multiple hours depending on the size of
 * the Cosmos DB account" (learn.microsoft.com/azure/cosmos-db/secure-access-to-data, "Key rotation and
 * regeneration"). One account read signed with the key, retried while the account answers 401.
 */
import { CosmosClient, ErrorResponse } from "@azure/cosmos";

export async function waitForCosmosKey(
  endpoint: string,
  key: string,
  options: { attempts?: number; delayMs?: number } = {},
): Promise<void> {
  const attempts = options.attempts ?? 60;
  for (let i = 1; ; i++) {
    try {
      await new CosmosClient({
        endpoint,
        key,
        connectionPolicy: { enableEndpointDiscovery: false },
      }).getDatabaseAccount();
      return;
    } catch (e) {
      const refused = e instanceof ErrorResponse && (e.code === 401 || e.code === 403);
      if (!refused || i >= attempts)
        throw new Error(
          refused
            ? `the new key was still refused after ${attempts} tries`
            : `the account did not answer (${(e as Error).name})`,
          { cause: e },
        );
      await new Promise((r) => setTimeout(r, options.delayMs ?? 60_000));
    }
  }
}
