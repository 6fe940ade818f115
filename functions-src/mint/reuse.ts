/**
 * When a minter may hand out a cached credential again, instead of minting: only if it ends no later than a fresh one
 * for this grant would (a grant's ttl may have shrunk since), and enough of its life remains for the caller to use it
 * (the smaller of `minRemainingMs` and half the grant's ttl).
 */
export function isReusable(
  cachedExpiresAtMs: number,
  grant: { ttlSeconds: number },
  nowMs: number,
  minRemainingMs: number,
): boolean {
  const latest = nowMs + grant.ttlSeconds * 1000;
  return cachedExpiresAtMs <= latest && cachedExpiresAtMs - nowMs >= Math.min(minRemainingMs, grant.ttlSeconds * 500);
}
