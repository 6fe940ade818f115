/**
 * Cosmos DB resource tokens (learn.microsoft.com/rest/api/cosmos-db/permissions): the service mints them, with the account key. Per caller:
 * - one Cosmos *user* per (issuer, subject), with a deterministic id (a digest: claim values never become ids);
 * - one *permission* per (user, container). Cosmos allows one permission per user per resource, and a
 *   partition-scoped permission's resource is still the container, so asking for another partition or mode
 *   replaces the previous permission (upsert) instead of failing with 409;
 * - the token is cached per (user, container, partition, mode) until shortly before it expires, so repeat calls
 *   cost no round trip; a miss costs one (the user is created only when the permission upsert finds none).
 *   A cached token is never handed out when it would outlive the ttl the current grant allows.
 * The credential drops into `new CosmosClient({ endpoint, resourceTokens })`.
 */
import { createHash } from "node:crypto";
import { CosmosClient, ErrorResponse, type PermissionDefinition } from "@azure/cosmos";
import { BoundedCache } from "../bounded-cache";
import { BackendUnavailableError } from "../errors";
import { identityKey } from "../identity-key";
import type { Minter } from "./minter";
import { isReusable } from "./reuse";

export interface CosmosSettings {
  endpoint: string;
  key: string;
  database: string;
}

export interface CosmosMinterOptions {
  /** @default 50000 */
  cacheEntries?: number;
  /** A cached token is reused only while at least this many seconds remain. @default 300 */
  minRemainingSeconds?: number;
}

const MODE = { read: "Read", all: "All" } as const;

export function createCosmosMinter(settings: () => CosmosSettings, options: CosmosMinterOptions = {}): Minter<"cosmos"> & { roundTrips(): number } {
  const cache = new BoundedCache<{ token: string; expiresAt: number }>(options.cacheEntries ?? 50_000);
  const minRemaining = (options.minRemainingSeconds ?? 300) * 1000;
  let client: { endpoint: string; key: string; client: CosmosClient } | undefined;
  let roundTrips = 0;

  const clientFor = (s: CosmosSettings) => {
    // A changed key (rotation through Key Vault) gets a new client; no redeploy.
    if (!client || client.endpoint !== s.endpoint || client.key !== s.key) client = { endpoint: s.endpoint, key: s.key, client: new CosmosClient({ endpoint: s.endpoint, key: s.key }) };
    return client.client;
  };

  return {
    roundTrips: () => roundTrips,
    async mint(grant, ctx) {
      const s = settings();
      const userId = `tb-${digest(identityKey(ctx))}`;
      const containerLink = `dbs/${s.database}/colls/${grant.container}`;
      const cacheKey = `${s.endpoint}|${userId}|${containerLink}|${JSON.stringify(grant.partitionKey)}|${grant.access}`;
      const cached = cache.get(cacheKey);
      let token: string;
      let expiresAt: number;
      if (cached && isReusable(cached.expiresAt, grant, ctx.now, minRemaining)) {
        ({ token, expiresAt } = cached);
      } else {
        const definition: PermissionDefinition = {
          id: `container-${digest(grant.container).slice(0, 16)}`,
          permissionMode: MODE[grant.access] as PermissionDefinition["permissionMode"],
          resource: containerLink,
          ...(grant.partitionKey !== null && { resourcePartitionKey: [grant.partitionKey] }),
        };
        const user = clientFor(s).database(s.database).user(userId);
        const options = { resourceTokenExpirySeconds: grant.ttlSeconds };
        try {
          roundTrips++;
          token = (await user.permissions.upsert(definition, options)).resource!._token;
        } catch (e) {
          if (!(e instanceof ErrorResponse) || e.code !== 404) throw unavailable(e);
          try {
            roundTrips += 2;
            await clientFor(s).database(s.database).users.upsert({ id: userId });
            token = (await user.permissions.upsert(definition, options)).resource!._token;
          } catch (e2) {
            throw unavailable(e2);
          }
        }
        expiresAt = ctx.now + grant.ttlSeconds * 1000;
        cache.set(cacheKey, { token, expiresAt }, expiresAt);
      }
      return {
        type: "cosmos",
        endpoint: s.endpoint,
        database: s.database,
        container: grant.container,
        partitionKey: grant.partitionKey,
        access: grant.access,
        resourceTokens: { [containerLink]: token },
        expiresAt: new Date(expiresAt).toISOString(),
      };
    },
  };
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 32);
}

function unavailable(e: unknown): Error {
  if (e instanceof ErrorResponse && (e.code === 401 || e.code === 403)) return new BackendUnavailableError("cosmos (account key rejected)", 60);
  if (e instanceof ErrorResponse && e.code === 400) return e; // a bug on our side, not an outage
  return new BackendUnavailableError("cosmos", 5);
}
