/** The in-memory store: single-instance semantics. Bounded, so a flood of distinct keys cannot grow memory. */
import { RateLimiterMemory, type RateLimiterAbstract } from "./rate-limiter-classes";
import { BoundedCache } from "../bounded-cache";
import type { SharedStore } from "./shared-store";

export class MemoryStore implements SharedStore {
  readonly kind = "memory";
  readonly scope = "instance";
  private readonly entries: BoundedCache<string>;

  constructor(
    maxEntries = 200_000,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new BoundedCache(maxEntries, now);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.set(key, value, this.now() + ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.entries.get(key) !== undefined) return false;
    this.entries.set(key, value, this.now() + ttlMs);
    return true;
  }

  async getMany(keys: string[]): Promise<(string | null)[]> {
    return keys.map((k) => this.entries.get(k) ?? null);
  }

  async raiseTo(key: string, value: number, ttlMs: number): Promise<void> {
    const current = Number(this.entries.get(key) ?? 0);
    if (value > current) this.entries.set(key, String(value), this.now() + ttlMs);
  }

  async delete(key: string): Promise<void> {
    this.entries.set(key, "", 0);
  }

  rateLimiter(o: { keyPrefix: string; points: number; durationSeconds: number }): RateLimiterAbstract {
    return new RateLimiterMemory({ keyPrefix: o.keyPrefix, points: o.points, duration: o.durationSeconds });
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}
