/**
 * Cosmos DB resource tokens (learn.microsoft.com/rest/api/cosmos-db/permissions): the service mints them, with the account key.
 *
 * The REST reference allows one permission per user per resource ("Permissions": a second permission on the same
 * container for the same user is 409 Conflict), and a partition-scoped permission's resource is still the container.
 * Replacing that one permission for another partition or mode would cut off tokens already handed out (or not:
 * the documentation is not clear, see lib/local/cosmos-rest-contract-double.ts), so the broker never replaces one:
 * - one Cosmos *user* per (caller, container, partition key, mode): id `tb-<caller digest>-<grant digest>`, digests
 *   only (claim values never become ids); the caller prefix lets revocation and clean-up find a caller's users;
 * - in it, one permission with a digest id, created once and afterwards only read (a GET mints a fresh token and
 *   leaves earlier ones valid, "Get a Permission");
 * - the token is cached per (user, permission) until shortly before it expires, so repeat calls cost no round trip;
 *   a miss costs two calls (the user's upsert, the GET), a first grant four (upsert, GET 404, upsert, permission). A cached token is never handed out
 *   when it would outlive the ttl the current grant allows; `forget` drops a caller's entries when its users are
 *   deleted (revocation, clean-up), so the cache never outlives what exists in the account.
 * The credential drops into `new CosmosClient({ endpoint, resourceTokens })`.
 */
import { createHash } from "node:crypto";
import type { CosmosClient, PermissionDefinition } from "@azure/cosmos";
import { cosmosSdk } from "../load-sdk";
import { BoundedCache } from "../bounded-cache";
import { CACHE_BUDGET } from "../memory-budget";
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
const MAX_TOKEN_SECONDS = 18_000; // x-ms-documentdb-expiry-seconds upper bound (REST reference)

/** Every Cosmos user the broker creates for this caller starts with this id. */
export function cosmosUserPrefix(issuer: string, subject: string): string {
  return `tb-${digest(identityKey({ issuer, subject })).slice(0, 22)}-`;
}

export interface CosmosMinter extends Minter<"cosmos"> {
  /** Calls made to the account so far (for tests and metrics). */
  roundTrips(): number;
  /** Drop the cached tokens of a caller whose Cosmos users were deleted. */
  forget(issuer: string, subject: string): void;
}

export function createCosmosMinter(settings: () => CosmosSettings, options: CosmosMinterOptions = {}): CosmosMinter {
  type Cached = { token: string; expiresAt: number; issuedAt: number };
  const cache = new BoundedCache<Cached>(options.cacheEntries ?? 50_000, Date.now, CACHE_BUDGET.cosmosTokens);
  // Caller prefix -> when its users were deleted; entries cached before then are dead. Kept for the longest token
  // lifetime (5 h), after which every token issued before the deletion has expired anyway.
  const forgotten = new BoundedCache<number>(options.cacheEntries ?? 50_000);
  const minRemaining = (options.minRemainingSeconds ?? 300) * 1000;
  let client: { endpoint: string; key: string; client: CosmosClient } | undefined;
  let roundTrips = 0;

  const clientFor = (s: CosmosSettings) => {
    // A changed key (rotation through Key Vault) gets a new client; no redeploy.
    if (!client || client.endpoint !== s.endpoint || client.key !== s.key)
      client = {
        endpoint: s.endpoint,
        key: s.key,
        client: new (cosmosSdk().CosmosClient)({ endpoint: s.endpoint, key: s.key }),
      };
    return client.client;
  };

  return {
    roundTrips: () => roundTrips,
    probe() {
      settings();
    },
    forget(issuer, subject) {
      const now = Date.now();
      forgotten.set(cosmosUserPrefix(issuer, subject), now, now + MAX_TOKEN_SECONDS * 1000);
    },
    async mint(grant, ctx) {
      const s = settings();
      const containerLink = `dbs/${s.database}/colls/${grant.container}`;
      const scope = digest(`${containerLink}\n${JSON.stringify(grant.partitionKey)}\n${grant.access}`);
      const prefix = cosmosUserPrefix(ctx.issuer, ctx.subject);
      const userId = `${prefix}${scope.slice(0, 22)}`;
      // The key's digest is part of the key: once the broker learns of a rotation it hands out only tokens minted
      // through the new key, so the old key's tokens stop circulating before the rotation regenerates it.
      const cacheKey = `${s.endpoint}|${keyDigest(s.key)}|${userId}`;
      const cached = cache.get(cacheKey);
      let token: string;
      let expiresAt: number;
      const fresh = cached && cached.issuedAt > (forgotten.get(prefix) ?? -Infinity);
      if (cached && fresh && isReusable(cached.expiresAt, grant, ctx.now, minRemaining)) {
        ({ token, expiresAt } = cached);
      } else {
        const definition: PermissionDefinition = {
          id: `p-${scope}`,
          permissionMode: MODE[grant.access] as PermissionDefinition["permissionMode"],
          resource: containerLink,
          ...(grant.partitionKey !== null && { resourcePartitionKey: [grant.partitionKey] }),
        };
        const user = clientFor(s).database(s.database).user(userId);
        const options = { resourceTokenExpirySeconds: grant.ttlSeconds };
        try {
          // Touch the user first (an upsert is a write: new `_ts` and `_etag`, permissions kept), so its `_ts` is the
          // latest mint and a collector's delete conditioned on the older `_etag` fails (cosmos-cleanup.ts).
          roundTrips += 2;
          await clientFor(s).database(s.database).users.upsert({ id: userId });
          token = (await user.permission(definition.id).read(options)).resource!._token;
        } catch (e) {
          if (!(e instanceof cosmosSdk().ErrorResponse) || e.code !== 404) throw unavailable(e);
          try {
            // First grant of this scope to this caller: create the user and its one permission (never replace it).
            roundTrips += 2;
            await clientFor(s).database(s.database).users.upsert({ id: userId });
            token = (await user.permissions.create(definition, options)).resource!._token;
          } catch (e2) {
            // A concurrent first request created it meanwhile: read it.
            if (!(e2 instanceof cosmosSdk().ErrorResponse) || e2.code !== 409) throw unavailable(e2);
            try {
              roundTrips++;
              token = (await user.permission(definition.id).read(options)).resource!._token;
            } catch (e3) {
              throw unavailable(e3);
            }
          }
        }
        expiresAt = ctx.now + grant.ttlSeconds * 1000;
        cache.set(cacheKey, { token, expiresAt, issuedAt: Date.now() }, expiresAt);
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

/** The last key's digest, recomputed only when the key changes (rotation). */
let lastKey: string | undefined;
let lastKeyDigest = "";
function keyDigest(key: string): string {
  if (key !== lastKey) {
    lastKey = key;
    lastKeyDigest = digest(key).slice(0, 16);
  }
  return lastKeyDigest;
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 32);
}

function unavailable(e: unknown): Error {
  if (e instanceof cosmosSdk().ErrorResponse && (e.code === 401 || e.code === 403))
    return new BackendUnavailableError("cosmos (account key rejected)", 60);
  if (e instanceof cosmosSdk().ErrorResponse && e.code === 400) return e; // a bug on our side, not an outage
  return new BackendUnavailableError("cosmos", 5);
}
