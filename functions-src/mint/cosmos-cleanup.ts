/**
 * Cosmos users and permissions the broker leaves behind: delete one caller's (on revocation) and collect the
 * garbage (users whose permissions all expired long ago). Both enumerate what exists instead of recomputing
 * permission ids, so they keep working whatever id scheme the minter uses.
 *
 * What deleting does NOT do: a resource token already issued keeps working until it expires (the .NET SDK
 * reference, Permission.DeleteAsync: "This will not revoke existing ResourceTokens"). Deleting stops new tokens
 * from those permissions and bounds the metadata; the grant's TTL (<= 5 h) bounds an issued token's exposure.
 *
 * Race with a concurrent exchange (GC only): a mint that upserts a permission between GC's decision and its delete
 * would leave a credential whose permission is gone. The guard below closes it with two markers in the shared store:
 * the minter writes `active` (lives as long as the credential) then reads `gc`; GC writes `gc` (atomic NX) then reads
 * `active`. On a linearizable store at least one of them sees the other: GC skips the user, or the minter waits
 * until GC is done and then recreates the user.
 */
import type { CosmosClient, Database } from "@azure/cosmos";
import { ErrorResponse } from "@azure/cosmos";
import type { SharedStore } from "../store/shared-store";
import { cosmosUserId } from "./cosmos-user-id";
import { BackendUnavailableError, type Minter } from "./minter";

/** Cosmos caps a resource token at 5 h (REST reference, x-ms-documentdb-expiry-seconds). */
export const COSMOS_TOKEN_MAX_SECONDS = 18_000;
const GC_CLAIM_MS = 30_000;
const GC_CONCURRENCY = 8;

const activeKey = (userId: string) => `tb:cosmos:active:${userId}`;
const gcKey = (userId: string) => `tb:cosmos:gc:${userId}`;

/** Deletes every permission of the caller's user, then the user. Idempotent: what is already gone counts as done. */
export async function deleteCallerFromCosmos(database: Database, issuer: string, subject: string): Promise<{ permissions: number; user: boolean }> {
  const user = database.user(cosmosUserId(issuer, subject));
  let permissions = 0;
  try {
    const { resources } = await user.permissions.readAll().fetchAll();
    for (const p of resources) if (await ignoreNotFound(() => user.permission(p.id).delete())) permissions++;
  } catch (e) {
    if (!isNotFound(e)) throw e;
    return { permissions: 0, user: false };
  }
  return { permissions, user: await ignoreNotFound(() => user.delete()) };
}

export interface GcOptions {
  /** Delete a user once all its permissions expired at least this long ago. @default 86400 */
  expiredForSeconds?: number;
  /** Users looked at per run (bounded work). @default 500 */
  maxUsersPerRun?: number;
  /** Where the previous run stopped (a feed continuation); kept in the store between runs. */
  store?: SharedStore;
  now?: () => number;
  /** Test hook: runs after GC decided and claimed a user, just before the delete. */
  beforeDelete?: (userId: string) => Promise<void>;
}

export interface GcResult {
  scanned: number;
  deleted: number;
  skippedActive: number;
  /** true when the scan reached the end of the users feed (the next run starts from the beginning). */
  wrapped: boolean;
}

const CURSOR_KEY = "tb:cosmos:gc-cursor";

/** One bounded GC run. Safe to run repeatedly and concurrently (claims are atomic; deletes are idempotent). */
export async function collectCosmosGarbage(database: Database, options: GcOptions = {}): Promise<GcResult> {
  const now = options.now ?? Date.now;
  const expiredFor = options.expiredForSeconds ?? 86_400;
  const budget = options.maxUsersPerRun ?? 500;
  const store = options.store;
  const result: GcResult = { scanned: 0, deleted: 0, skippedActive: 0, wrapped: false };
  let continuation = store ? ((await store.getMany([CURSOR_KEY]))[0] ?? undefined) : undefined;
  while (result.scanned < budget) {
    const page = await database.users.readAll({ maxItemCount: Math.min(100, budget - result.scanned), continuationToken: continuation }).fetchNext();
    // A few users at a time: the work is round trips, and Cosmos bills each the same either way.
    // A user created after the cutoff cannot be garbage yet (its `_ts` is its creation: the broker never replaces
    // users), so it costs no permissions read.
    const cutoff = now() / 1000 - COSMOS_TOKEN_MAX_SECONDS - expiredFor;
    result.scanned += page.resources.filter((u) => (u._ts ?? 0) >= cutoff).length;
    const users = page.resources.filter((u) => (u._ts ?? 0) < cutoff);
    for (let i = 0; i < users.length; i += GC_CONCURRENCY) {
      const outcomes = await Promise.all(users.slice(i, i + GC_CONCURRENCY).map((u) => collectUser(database, u.id, now, expiredFor, options)));
      result.scanned += outcomes.length;
      result.deleted += outcomes.filter((o) => o === "deleted").length;
      result.skippedActive += outcomes.filter((o) => o === "active").length;
    }
    continuation = page.continuationToken;
    if (!continuation) {
      result.wrapped = true;
      break;
    }
  }
  // Deleted users shift the feed; a stale cursor only means some users wait one more lap.
  if (store) {
    if (continuation) await store.set(CURSOR_KEY, continuation, 86_400_000);
    else await store.delete(CURSOR_KEY);
  }
  return result;
}

async function collectUser(database: Database, userId: string, now: () => number, expiredFor: number, o: GcOptions): Promise<"deleted" | "kept" | "active"> {
  if (!(await allExpired(database, userId, now, expiredFor))) return "kept";
  if (o.store) {
    if (!(await o.store.setIfAbsent(gcKey(userId), "1", GC_CLAIM_MS))) return "active";
    try {
      if ((await o.store.getMany([activeKey(userId)]))[0] !== null) return "active";
      // Re-check under the claim: a mint that finished before the claim shows up here.
      if (!(await allExpired(database, userId, now, expiredFor))) return "kept";
      await o.beforeDelete?.(userId);
      return (await ignoreNotFound(() => database.user(userId).delete())) ? "deleted" : "kept";
    } finally {
      await o.store.delete(gcKey(userId));
    }
  }
  await o.beforeDelete?.(userId);
  return (await ignoreNotFound(() => database.user(userId).delete())) ? "deleted" : "kept";
}

/** Every permission (and so every token it issued) expired more than `expiredFor` seconds ago. */
async function allExpired(database: Database, userId: string, now: () => number, expiredFor: number): Promise<boolean> {
  const cutoff = now() / 1000 - COSMOS_TOKEN_MAX_SECONDS - expiredFor;
  try {
    const { resources } = await database.user(userId).permissions.readAll().fetchAll();
    return resources.every((p) => (p._ts ?? 0) < cutoff);
  } catch (e) {
    if (isNotFound(e)) return false; // already gone: nothing to do
    throw e;
  }
}

/**
 * Wraps the Cosmos minter with the minter's half of the GC protocol. The `active` marker lives as long as the
 * credential it covers (+1 min), so GC never deletes a user while a credential issued to it is still valid.
 */
export function guardCosmosMinter(inner: Minter<"cosmos">, store: SharedStore, options: { waitMs?: number } = {}): Minter<"cosmos"> {
  const waitMs = options.waitMs ?? 2000;
  return {
    async mint(grant, ctx) {
      const userId = cosmosUserId(ctx.issuer, ctx.subject);
      try {
        await store.set(activeKey(userId), "1", grant.ttlSeconds * 1000 + 60_000);
        for (const deadline = Date.now() + waitMs; (await store.getMany([gcKey(userId)]))[0] !== null; ) {
          if (Date.now() > deadline) throw new BackendUnavailableError("cosmos (metadata cleanup in progress)", 1);
          await new Promise((r) => setTimeout(r, 25));
        }
      } catch (e) {
        if (e instanceof BackendUnavailableError) throw e;
        // Store down: GC cannot claim users either (it needs the same store), so minting proceeds.
      }
      return inner.mint(grant, ctx);
    },
  };
}

/** A management client's database, for the CLI and the timer. */
export function cosmosDatabase(client: CosmosClient, database: string): Database {
  return client.database(database);
}

async function ignoreNotFound(op: () => Promise<unknown>): Promise<boolean> {
  try {
    await op();
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

function isNotFound(e: unknown): boolean {
  return e instanceof ErrorResponse && e.code === 404;
}
