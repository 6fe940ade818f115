/**
 * The per-subject budget counted in the shared store, so N instances together allow the configured rate, not N
 * times it. rate-limiter-flexible counts in fixed windows of whole seconds: a window of burst/perSecond seconds
 * (rounded, at least 1) allows perSecond x window requests. While Redis is down each instance falls back to its own
 * in-memory window (the library's insurance limiter): the budget is then per instance until the store is back.
 */
import { createHash } from "node:crypto";
import { RateLimiterRes, type RateLimiterAbstract } from "./rate-limiter-classes";
import type { CompiledRateLimit } from "../../lib/policy/runtime/runtime-config";
import type { RateLimiter } from "../rate-limit";
import type { SharedStore } from "./shared-store";

export class GlobalRateLimiter implements RateLimiter {
  private readonly limiter: RateLimiterAbstract;
  readonly windowSeconds: number;
  readonly pointsPerWindow: number;

  constructor(store: SharedStore, limit: Pick<CompiledRateLimit, "perSecond" | "burst">) {
    this.windowSeconds = Math.max(1, Math.round(limit.burst / limit.perSecond));
    this.pointsPerWindow = Math.max(1, Math.round(limit.perSecond * this.windowSeconds));
    this.limiter = store.rateLimiter({
      keyPrefix: "tb:rate",
      points: this.pointsPerWindow,
      durationSeconds: this.windowSeconds,
    });
  }

  async take(key: string): Promise<number> {
    try {
      await this.limiter.consume(createHash("sha256").update(key).digest("base64url").slice(0, 32));
      return 0;
    } catch (e) {
      if (e instanceof RateLimiterRes) return Math.max(1, Math.ceil(e.msBeforeNext / 1000));
      throw e;
    }
  }
}
