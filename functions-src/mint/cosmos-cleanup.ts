/**
 * Cosmos users and permissions the broker leaves behind: delete one caller's (on revocation) and collect garbage.
 * The minter creates one user per (caller, container, partition key, mode), ids starting with the caller's prefix
 * (cosmos-minter.ts `cosmosUserPrefix`); both jobs enumerate what exists instead of recomputing ids.
 *
 * Deleting a permission or user stops new tokens from it. Whether tokens already issued stop working is read two
 * ways: the contract double takes the strict reading (they stop), the .NET SDK reference says a delete "will not
 * revoke existing ResourceTokens" (Azure/azure-cosmos-dotnet-v3, Permission.DeleteAsync). Revocation relies on
 * neither: an issued token's TTL (<= 5 h) bounds its exposure.
 *
 * When is a user garbage? A GET of a permission leaves `_ts` alone, so before every read the minter touches the user
 * (an upsert: a write, so Cosmos gives the user a new `_ts` and `_etag`; cosmos-minter.ts). A user's `_ts` is then its
 * latest mint, and every credential issued from it expires by `_ts` + 5 h (Cosmos's cap on a resource token; a cached
 * token is one read earlier). A user is garbage when `_ts` is older than the cutoff (5 h + expiredFor ago).
 *
 * Race with a concurrent exchange, with no store at all: the collector deletes a user only if it still has the
 * `_etag` the collector listed (If-Match; learn.microsoft.com/rest/api/cosmos-db/common-cosmosdb-rest-request-headers,
 * "If-Match ... PUT and DELETE ... optimistic concurrency"). A mint that touched the user after the listing changed
 * the `_etag`: the delete fails with 412 and the user stays. A delete that came first makes the minter's read 404: it
 * recreates the user and the permission and mints from them. Either way no credential outlives its permission, and
 * any number of instances and collectors may run at once, so every deployed environment collects by default.
 *
 * With the shared store (Redis) the older guard runs as well: `active:<caller prefix>` holds the latest expiry of
 * any credential issued to the caller (raised atomically, kept 7 days past it) and GC skips a caller recently active
 * or claimed (`gc:<prefix>`, SET NX) by a concurrent collector; the minter waits while a caller is claimed.
 */
import type { Database } from "@azure/cosmos";
import { cosmosSdk } from "../load-sdk";
import type { SharedStore } from "../store/shared-store";
import { cosmosUserPrefix } from "./cosmos-minter";
import { BackendUnavailableError, type Minter } from "./minter";

/** Cosmos caps a resource token at 5 h (REST reference, x-ms-documentdb-expiry-seconds). */
export const COSMOS_TOKEN_MAX_SECONDS = 18_000;
/** How long the `active` record outlives the caller's latest credential; expiredFor may not exceed it. */
export const MAX_GRACE_SECONDS = 7 * 86_400;
const GC_CLAIM_MS = 30_000;
const GC_CONCURRENCY = 8;
const PREFIX_LENGTH = cosmosUserPrefix("", "").length;
const CURSOR_KEY = "tb:cosmos:gc-cursor";

const activeKey = (prefix: string) => `tb:cosmos:active:${prefix}`;
const gcKey = (prefix: string) => `tb:cosmos:gc:${prefix}`;

/** Deletes every user of the caller (each permission first, then the user). Idempotent. */
export async function deleteCallerFromCosmos(
  database: Database,
  issuer: string,
  subject: string,
): Promise<{ permissions: number; users: number }> {
  const prefix = cosmosUserPrefix(issuer, subject);
  const result = { permissions: 0, users: 0 };
  const iterator = database.users.readAll({ maxItemCount: 1000 });
  while (iterator.hasMoreResults()) {
    const page = await iterator.fetchNext();
    for (const u of page.resources.filter((x) => x.id.startsWith(prefix))) {
      const user = database.user(u.id);
      try {
        const { resources } = await user.permissions.readAll().fetchAll();
        for (const p of resources) if (await ignoreNotFound(() => user.permission(p.id).delete())) result.permissions++;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      if (await ignoreNotFound(() => user.delete())) result.users++;
    }
  }
  return result;
}

export interface GcOptions {
  /**
   * The broker's store: the scan's cursor between runs, and, when shared, the minters' activity records (the guard
   * above). An instance store keeps the cursor in this process only (a run elsewhere starts from the beginning).
   */
  store: SharedStore;
  /** Delete once the caller's credentials all expired at least this long ago. @default 86400 (at most 7 days) */
  expiredForSeconds?: number;
  /** Users looked at per run (bounded work). @default 500 */
  maxUsersPerRun?: number;
  now?: () => number;
  /** Test hook: runs after GC decided and claimed a caller, just before the delete. */
  beforeDelete?: (userId: string) => Promise<void>;
}

export interface GcResult {
  scanned: number;
  deleted: number;
  skippedActive: number;
  /** true when the scan reached the end of the users feed (the next run starts from the beginning). */
  wrapped: boolean;
}

/** One bounded GC run. Safe to run repeatedly and concurrently (claims are atomic; deletes are idempotent). */
export async function collectCosmosGarbage(database: Database, options: GcOptions): Promise<GcResult> {
  const { store } = options;
  const now = options.now ?? Date.now;
  const expiredFor = options.expiredForSeconds ?? 86_400;
  if (!(expiredFor >= 0 && expiredFor <= MAX_GRACE_SECONDS))
    throw new RangeError(`expiredForSeconds must be 0..${MAX_GRACE_SECONDS}`);
  const budget = options.maxUsersPerRun ?? 500;
  const result: GcResult = { scanned: 0, deleted: 0, skippedActive: 0, wrapped: false };
  let continuation = (await store.getMany([CURSOR_KEY]))[0] ?? undefined;
  while (result.scanned < budget) {
    const page = await database.users
      .readAll({ maxItemCount: Math.min(100, budget - result.scanned), continuationToken: continuation })
      .fetchNext();
    // A user created after the cutoff cannot be garbage yet (`_ts` is its creation: the broker never replaces users).
    const cutoff = now() / 1000 - COSMOS_TOKEN_MAX_SECONDS - expiredFor;
    // `_ts` is the user's last write: its creation, or the minter's touch before its latest mint.
    const candidates = page.resources.filter((u) => u.id.startsWith("tb-") && (u._ts ?? 0) < cutoff);
    result.scanned += page.resources.length - candidates.length;
    for (let i = 0; i < candidates.length; i += GC_CONCURRENCY) {
      const outcomes = await Promise.all(
        candidates
          .slice(i, i + GC_CONCURRENCY)
          .map((u) => collectUser(database, u.id, u._etag, now, expiredFor, options)),
      );
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
  if (continuation) await store.set(CURSOR_KEY, continuation, 86_400_000);
  else await store.delete(CURSOR_KEY);
  return result;
}

async function collectUser(
  database: Database,
  userId: string,
  etag: string | undefined,
  now: () => number,
  expiredFor: number,
  o: GcOptions,
): Promise<"deleted" | "kept" | "active"> {
  // Without the `_etag` the delete could not be conditional: leave the user rather than race a mint.
  if (!etag) return "kept";
  const conditionalDelete = async (): Promise<"deleted" | "kept" | "active"> => {
    await o.beforeDelete?.(userId);
    try {
      await database.user(userId).delete({ accessCondition: { type: "IfMatch", condition: etag } });
      return "deleted";
    } catch (e) {
      if (isNotFound(e)) return "kept";
      if (isPreconditionFailed(e)) return "active"; // a mint touched it after the listing
      throw e;
    }
  };
  if (o.store.scope !== "shared") return conditionalDelete();
  const prefix = userId.slice(0, PREFIX_LENGTH);
  const recentlyActive = async () =>
    Number((await o.store.getMany([activeKey(prefix)]))[0] ?? 0) + expiredFor * 1000 > now();
  if (await recentlyActive()) return "active";
  if (!(await o.store.setIfAbsent(gcKey(prefix), "1", GC_CLAIM_MS))) return "active";
  try {
    if (await recentlyActive()) return "active";
    return await conditionalDelete();
  } finally {
    await o.store.delete(gcKey(prefix));
  }
}

/** What the guard records for a caller: its latest credential expiry (exported for the GC soak's seeding). */
export function recordCredentialExpiry(
  store: SharedStore,
  issuer: string,
  subject: string,
  untilMs: number,
  nowMs: number,
): Promise<void> {
  return store.raiseTo(
    activeKey(cosmosUserPrefix(issuer, subject)),
    untilMs,
    untilMs - nowMs + MAX_GRACE_SECONDS * 1000,
  );
}

/** Wraps the Cosmos minter with the minter's half of the GC protocol. */
export function guardCosmosMinter<M extends Minter<"cosmos">>(
  inner: M,
  store: SharedStore,
  options: { waitMs?: number } = {},
): M {
  const waitMs = options.waitMs ?? 2000;
  const mint: Minter<"cosmos">["mint"] = async (grant, ctx) => {
    const prefix = cosmosUserPrefix(ctx.issuer, ctx.subject);
    const until = ctx.now + grant.ttlSeconds * 1000;
    try {
      await recordCredentialExpiry(store, ctx.issuer, ctx.subject, until, ctx.now);
      for (const deadline = Date.now() + waitMs; (await store.getMany([gcKey(prefix)]))[0] !== null;) {
        if (Date.now() > deadline) throw new BackendUnavailableError("cosmos (metadata cleanup in progress)", 1);
        await new Promise((r) => setTimeout(r, 25));
      }
    } catch (e) {
      if (e instanceof BackendUnavailableError) throw e;
      // Store down: GC cannot claim callers either (it needs the same store), so minting proceeds.
    }
    return inner.mint(grant, ctx);
  };
  return Object.assign(Object.create(inner) as M, { mint });
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
  return e instanceof cosmosSdk().ErrorResponse && e.code === 404;
}

function isPreconditionFailed(e: unknown): boolean {
  return e instanceof cosmosSdk().ErrorResponse && e.code === 412;
}
