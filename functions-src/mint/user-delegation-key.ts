/**
 * User delegation keys for CDN SAS, obtained with the function's managed identity (no account key anywhere).
 * A key lives at most 7 days; one is fetched for 7 days and reused while it outlives the SAS being signed.
 */
import type { UserDelegationKey } from "@azure/storage-blob";

/** The one call needed of a `BlobServiceClient`. */
export interface DelegationKeyClient {
  getUserDelegationKey(startsOn: Date, expiresOn: Date): Promise<UserDelegationKey>;
}

const KEY_LIFETIME_MS = 7 * 86400_000 - 60_000;

/** `client` carries a token credential (the function's managed identity in Azure): keys need Entra, not a key. */
export function userDelegationKeySource(client: DelegationKeyClient, now: () => number = Date.now) {
  let current: { key: UserDelegationKey; expiresOn: number } | undefined;
  let inFlight: Promise<UserDelegationKey> | undefined;
  return async (sasExpiresOn: Date): Promise<UserDelegationKey> => {
    if (current && current.expiresOn >= sasExpiresOn.getTime()) return current.key;
    inFlight ??= (async () => {
      const start = new Date(now() - 5 * 60_000);
      const expiry = new Date(now() + KEY_LIFETIME_MS);
      const key = await client.getUserDelegationKey(start, expiry);
      current = { key, expiresOn: expiry.getTime() };
      return key;
    })().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
