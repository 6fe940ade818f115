/**
 * State that must hold across broker instances (the revocation deny-list, the per-subject rate budget, the Cosmos
 * GC guard) lives in one existing store, never in a home-made replication scheme (design.md, Decisions).
 * Two implementations: Redis (Azure Managed Redis in Azure, Debian's redis-server locally) and in-memory, which
 * gives single-instance semantics: correct for one process, not shared between scaled-out instances.
 */
import type { RateLimiterAbstract } from "./rate-limiter-classes";

export interface SharedStore {
  readonly kind: "redis" | "memory";
  /** "shared": every instance sees the same state; "instance": this process only. */
  readonly scope: "shared" | "instance";
  /** Stores `value` under `key` until `ttlMs` from now. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Stores only when absent (an atomic claim); true when this call stored it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** One round trip for several keys; null where absent or expired. */
  getMany(keys: string[]): Promise<(string | null)[]>;
  delete(key: string): Promise<void>;
  /** Atomically stores max(current, value) (a number) and keeps it `ttlMs` from now when it raised it. */
  raiseTo(key: string, value: number, ttlMs: number): Promise<void>;
  /** A fixed-window limiter of `points` per `durationSeconds`, counted in this store. */
  rateLimiter(options: { keyPrefix: string; points: number; durationSeconds: number }): RateLimiterAbstract;
  /** true when the store answers now. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** The store did not answer (down, unreachable, timed out). Callers decide: fail closed or open, per the policy. */
export class StoreUnavailableError extends Error {
  readonly code = "ERR_STORE_UNAVAILABLE";
  constructor(readonly operation: string) {
    super(`the shared store is unavailable (${operation})`);
    this.name = "StoreUnavailableError";
  }
}
