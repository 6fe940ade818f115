/**
 * Fluid credentials: a token for the granted document and scopes, signed with the active tenant key.
 * Tokens are cached per (caller, document, scopes, key) until shortly before they expire, so a client that asks
 * again gets the same token without another signature. A cached token is never handed out when it would outlive
 * what the current grant allows, and a key rotation (different active key) misses the cache.
 */
import { createHash } from "node:crypto";
import { BoundedCache } from "../bounded-cache";
import { CACHE_BUDGET } from "../memory-budget";
import { activeFluidKey, mintFluidToken } from "./fluid-token";
import type { IssuedCredential, Minter } from "./minter";
import { identityKey } from "../identity-key";
import { isReusable } from "./reuse";
import { creationJti } from "../fluid-owners/creation-jti";

export interface FluidSettings {
  tenantId: string;
  endpoint: string;
  key1: string;
  key2: string;
  active: "key1" | "key2";
}

export function createFluidMinter(
  settings: () => FluidSettings,
  options: { cacheEntries?: number; minRemainingSeconds?: number } = {},
): Minter<"fluid"> {
  // 10,000 callers per instance or 8 MiB (memory-budget.ts): a miss costs one HMAC, an entry ~1.2 KB or more.
  const cache = new BoundedCache<{ credential: IssuedCredential; expiresAt: number }>(
    options.cacheEntries ?? 10_000,
    Date.now,
    CACHE_BUDGET.fluidCredentials,
  );
  const minRemaining = (options.minRemainingSeconds ?? 300) * 1000;
  // Cache keys name the signing key by a digest (recomputed only when the key changes), never by its text.
  let lastKey: string | undefined;
  let lastKeyId = "";
  const keyId = (key: string) => {
    if (key !== lastKey) {
      lastKey = key;
      lastKeyId = createHash("sha256").update(key).digest("base64url").slice(0, 16);
    }
    return lastKeyId;
  };
  const mintNow: NonNullable<Minter<"fluid">["mintNow"]> = (grant, ctx) => {
    // Settings are read per mint so a rotated key (a changed app setting) applies without a redeploy.
    const s = settings();
    const key = activeFluidKey(s);
    // Creation tokens are single-use: never cached.
    const cacheKey =
      grant.documentId === ""
        ? undefined
        : `${identityKey(ctx)}\n${s.tenantId}\n${grant.documentId}\n${grant.scopes.join(" ")}\n${keyId(key)}`;
    const cached = cacheKey ? cache.get(cacheKey) : undefined;
    if (cached && isReusable(cached.expiresAt, grant, ctx.now, minRemaining)) return cached.credential;
    // The Fluid contract's user is {id, name}, and AzureClient refuses a user without a name: fall back to the subject.
    const name = typeof ctx.claims.name === "string" && ctx.claims.name !== "" ? ctx.claims.name : ctx.subject;
    const token = mintFluidToken({
      tenantId: s.tenantId,
      documentId: grant.documentId,
      scopes: grant.scopes,
      user: { id: ctx.subject, name },
      ttlSeconds: grant.ttlSeconds,
      key,
      now: Math.floor(ctx.now / 1000),
      // A creation token's jti names its caller, so the service's creation receipt can be tied back to it; other
      // tokens get a random one. (A conditional spread here cost an object clone per mint.)
      jti: grant.documentId === "" ? creationJti(key, ctx.issuer, ctx.subject) : undefined,
    });
    const credential: IssuedCredential = {
      type: "fluid",
      tenantId: s.tenantId,
      endpoint: s.endpoint,
      documentId: grant.documentId,
      scopes: grant.scopes,
      token: token.jwt,
      jti: token.jti,
      expiresAt: isoSeconds(token.expiresAt),
    };
    if (cacheKey) cache.set(cacheKey, { credential, expiresAt: token.expiresAt * 1000 }, token.expiresAt * 1000);
    return credential;
  };
  return {
    probe() {
      activeFluidKey(settings());
    },
    // An HMAC and a cache: nothing to wait for, so the asynchronous form only wraps the synchronous one.
    async mint(grant, ctx) {
      return mintNow(grant, ctx);
    },
    mintNow,
  };
}

/** Tokens minted in the same second expire in the same second: their ISO text is computed once. */
let lastSeconds = NaN;
let lastIso = "";
function isoSeconds(seconds: number): string {
  if (seconds !== lastSeconds) {
    lastSeconds = seconds;
    lastIso = new Date(seconds * 1000).toISOString();
  }
  return lastIso;
}
