/**
 * The revocation deny-list in the shared store. An entry names a subject (under one issuer, or under every issuer)
 * or the `jti` of a caller's token, and expires when the longest-lived token it could concern has expired:
 * `maxTokenLifetime` (the broker refuses tokens living longer) + the 5-minute ceiling on clock tolerance.
 *
 * Staleness bound: each instance caches an answer for `cacheMs` (default 1 s), so a revocation reaches every
 * instance within cacheMs + one store round trip. Keys are digests: no claim value is stored in clear.
 */
import { createHash } from "node:crypto";
import { BoundedCache } from "../bounded-cache";
import type { SharedStore } from "../store/shared-store";

export type RevocationTarget = { kind: "subject"; subject: string; issuer?: string } | { kind: "jti"; jti: string };

export interface RevocationEntry {
  target: RevocationTarget["kind"];
  revokedAt: string;
  expiresAt: string;
  by: string;
  reason?: string;
}

export interface RevocationListOptions {
  maxTokenLifetimeSeconds: number;
  /** @default 1000 */
  cacheMs?: number;
  /** @default 50000 */
  cacheEntries?: number;
  now?: () => number;
}

/** The largest clock tolerance a policy may set (lib/policy/runtime/limits.ts MAX_CLOCK_TOLERANCE_SECONDS). */
const TOLERANCE_MS = 300_000;
const ANY_ISSUER = "*";

export class RevocationList {
  private readonly cache: BoundedCache<boolean>;
  private readonly now: () => number;
  readonly cacheMs: number;

  constructor(
    private readonly store: SharedStore,
    private readonly options: RevocationListOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.cacheMs = options.cacheMs ?? 1000;
    this.cache = new BoundedCache(options.cacheEntries ?? 50_000, this.now);
  }

  get entryLifetimeMs(): number {
    return this.options.maxTokenLifetimeSeconds * 1000 + TOLERANCE_MS;
  }

  async revoke(target: RevocationTarget, meta: { by: string; reason?: string }): Promise<RevocationEntry> {
    const now = this.now();
    const entry: RevocationEntry = {
      target: target.kind,
      revokedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.entryLifetimeMs).toISOString(),
      by: meta.by,
      ...(meta.reason && { reason: meta.reason }),
    };
    const key = target.kind === "jti" ? jtiKey(target.jti) : subjectKey(target.issuer ?? ANY_ISSUER, target.subject);
    await this.store.set(key, JSON.stringify(entry), this.entryLifetimeMs);
    return entry;
  }

  /** Throws StoreUnavailableError when the store cannot answer and nothing fresh is cached. */
  async isRevoked(issuer: string, subject: string, jti: string | undefined): Promise<boolean> {
    const cacheKey = `${issuer}\n${subject}\n${jti ?? ""}`;
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const keys = [subjectKey(issuer, subject), subjectKey(ANY_ISSUER, subject), ...(jti ? [jtiKey(jti)] : [])];
    const found = (await this.store.getMany(keys)).some((v) => v !== null);
    this.cache.set(cacheKey, found, this.now() + this.cacheMs);
    return found;
  }
}

const digest = (s: string) => createHash("sha256").update(s).digest("base64url").slice(0, 32);
const subjectKey = (issuer: string, subject: string) => `tb:revoked:sub:${digest(issuer)}:${digest(subject)}`;
const jtiKey = (jti: string) => `tb:revoked:jti:${digest(jti)}`;
