/**
 * The client's credential cache: bounded (least recently used goes first), in memory by default.
 *
 * Persistence is an opt-in `CredentialStore` (e.g. one backed by `localStorage` or `sessionStorage`). Trade-off:
 * a persisted credential survives a reload (fewer broker calls, faster start), but anything that can run script in
 * the page's origin (an XSS, a browser extension) can read it for as long as it lives, and it outlives a sign-out
 * unless the app clears the store. Credentials here are short-lived and least-privilege, so the damage is bounded
 * by the policy's TTLs; keep persistence off unless start-up latency matters more than that exposure.
 */
import type { Credential } from "./credential-types";

export interface CachedCredential {
  credential: Credential;
  /** Unix ms: the credential's own expiry. */
  expiresAt: number;
  /** Unix ms: when the client stops handing it out and asks the broker again. */
  refreshAt: number;
}

/** A persistent backing store. Values are what the cache holds; the key is the credential's (type, scope). */
export interface CredentialStore {
  get(key: string): CachedCredential | undefined;
  set(key: string, value: CachedCredential): void;
  delete(key: string): void;
}

export class BoundedCredentialCache {
  private readonly entries = new Map<string, CachedCredential>();

  constructor(
    readonly maxEntries: number,
    private readonly store?: CredentialStore,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError("maxEntries must be at least 1");
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry if it is still before its refresh time; an entry past it is dropped. */
  fresh(key: string, now: number): CachedCredential | undefined {
    let entry = this.entries.get(key);
    if (!entry && this.store) {
      entry = this.store.get(key);
      if (entry) this.remember(key, entry);
    }
    if (!entry) return undefined;
    if (now >= entry.refreshAt) {
      this.delete(key);
      return undefined;
    }
    // Map keeps insertion order: re-inserting marks the entry as most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, value: CachedCredential): void {
    this.remember(key, value);
    this.store?.set(key, value);
  }

  delete(key: string): void {
    this.entries.delete(key);
    this.store?.delete(key);
  }

  clear(): void {
    for (const key of [...this.entries.keys()]) this.delete(key);
  }

  private remember(key: string, value: CachedCredential): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}
