/**
 * Puts the broker together with its shared state: the store (Redis, or in-memory with single-instance semantics),
 * the revocation check and admin route when the policy turns revocation on, the per-subject rate limit (global in
 * the store or per instance, as the policy says), and the Cosmos minter's half of the GC guard.
 */
import type { CosmosClient } from "@azure/cosmos";
import { cosmosSdk } from "./load-sdk";
import { createEvaluator } from "../lib/policy/runtime/evaluate";
import type { RuntimeConfig } from "../lib/policy/runtime/runtime-config";
import type { AuditSink } from "./audit";
import { createBroker, type Broker, type BrokerDeps } from "./core";
import { deleteCallerFromCosmos, guardCosmosMinter } from "./mint/cosmos-cleanup";
import type { CosmosSettings } from "./mint/cosmos-minter";
import { problem } from "./problem";
import { SubjectRateLimiter, type RateLimiter } from "./rate-limit";
import { createAdminRoute } from "./revocation/admin-route";
import { createRevocationCheck } from "./revocation/revocation-check";
import { RevocationList } from "./revocation/revocation-list";
import { GlobalRateLimiter } from "./store/global-rate-limit";
import { observeStore } from "./telemetry";
import type { SharedStore } from "./store/shared-store";

export interface SharedStateOptions {
  store: SharedStore;
  audit: AuditSink;
  cosmos?: () => CosmosSettings;
  /** Revocation answers cached per instance this long (the staleness bound). @default 1000 */
  revocationCacheMs?: number;
  now?: () => number;
}

export function createBrokerWithSharedState(
  deps: Omit<BrokerDeps, "rateLimiter" | "revocation" | "health" | "audit">,
  o: SharedStateOptions,
): Broker {
  const { config, minters } = deps;
  const { store, audit } = o;
  const now = o.now ?? Date.now;
  const guarded = { ...minters, ...(minters.cosmos && { cosmos: guardCosmosMinter(minters.cosmos, store) }) };
  return createBroker({
    ...deps,
    minters: guarded,
    audit,
    rateLimiter: rateLimiterFor(config, store),
    ...(config.revocation && { revocation: revocationFor(config, minters, o, now) }),
    health: healthFor(config, store),
  });
}

function rateLimiterFor(config: RuntimeConfig, store: SharedStore): RateLimiter {
  const limit = config.rateLimit ?? { scope: "instance", perSecond: 2, burst: 20 };
  return limit.scope === "global"
    ? new GlobalRateLimiter(store, limit)
    : new SubjectRateLimiter({ perSecond: limit.perSecond, burst: limit.burst });
}

function revocationFor(
  config: RuntimeConfig,
  minters: BrokerDeps["minters"],
  o: SharedStateOptions,
  now: () => number,
): NonNullable<BrokerDeps["revocation"]> {
  const policy = config.revocation!;
  const list = new RevocationList(o.store, {
    maxTokenLifetimeSeconds: policy.maxTokenLifetimeSeconds,
    cacheMs: o.revocationCacheMs,
    now,
  });
  const record = (r: object) =>
    o.audit({ at: new Date(now()).toISOString(), policy: config.policyHash, ...r } as Parameters<AuditSink>[0]);
  let unchecked = 0;
  const check = createRevocationCheck(list, policy, () => {
    // onStoreDown: allow. Said once per 100 so an outage is visible without flooding the log.
    if (unchecked++ % 100 === 0)
      process.stderr.write("token broker: revocation not checked (store unavailable; onStoreDown: allow)\n");
  });
  let cosmos: { client: CosmosClient; key: string; endpoint: string } | undefined;
  const cosmosCleanup = o.cosmos
    ? async (issuer: string, subject: string) => {
        const s = o.cosmos!();
        if (!cosmos || cosmos.key !== s.key || cosmos.endpoint !== s.endpoint)
          cosmos = {
            client: new (cosmosSdk().CosmosClient)({ endpoint: s.endpoint, key: s.key }),
            key: s.key,
            endpoint: s.endpoint,
          };
        const deleted = await deleteCallerFromCosmos(cosmos.client.database(s.database), issuer, subject);
        (minters.cosmos as { forget?: (i: string, s: string) => void } | undefined)?.forget?.(issuer, subject);
        return deleted;
      }
    : undefined;
  const admin = createAdminRoute({
    policy,
    list,
    evaluator: createEvaluator(config),
    issuers: config.issuers.map((i) => i.name),
    cosmosCleanup,
    audit: record,
  });
  return { check, admin };
}

/**
 * "degraded" while the store does not answer: a deny instance then refuses every exchange, an allow instance issues
 * without the revocation check, and a global rate budget falls back to per instance. Either way the instance is not
 * doing what it is configured to do. The details (store, reachability, onStoreDown) go to telemetry, never to health.
 */
function healthFor(config: RuntimeConfig, store: SharedStore): () => Promise<"ok" | "degraded"> {
  let last: { at: number; up: boolean } | undefined;
  const details = {
    kind: store.kind,
    scope: store.scope,
    rateLimit: config.rateLimit?.scope ?? "instance",
    onStoreDown: config.revocation?.onStoreDown ?? "none",
  } as const;
  observeStore(() => ({ ...details, reachable: last?.up ?? true }));
  return async () => {
    // At most one ping per 2 s, so health probes cannot load the store.
    if (!last || Date.now() - last.at > 2000) last = { at: Date.now(), up: await store.ping() };
    return last.up ? "ok" : "degraded";
  };
}

/** A broker still being built (connecting to the store): requests wait for it; a failure answers 503. */
export function deferredBroker(pending: Promise<Broker>): Broker {
  pending.catch(() => undefined);
  return {
    async handle(req) {
      let broker: Broker;
      try {
        broker = await pending;
      } catch {
        return problem("backend-unavailable", "the broker cannot reach its shared store", {
          headers: { "retry-after": "30" },
        });
      }
      return broker.handle(req);
    },
  };
}
