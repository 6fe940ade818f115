/**
 * CORS at the platform hops a browser page reaches: the Function App (platform CORS answers preflights before Easy
 * Auth; facts.md), the Cosmos account (`cors_rule`, for the browser SDK), Blob storage (fetch() of signed CDN URLs)
 * and Front Door (which caches the first answer it gets, so with several origins the edge itself sets
 * Access-Control-Allow-Origin per request Origin: learn.microsoft.com/azure/frontdoor/standard-premium/
 * troubleshoot-cross-origin-resources). Origins come from the environment's `allowedOrigins`.
 * Port patterns (`http://localhost:*`, development only) cannot be expressed in these platform settings: they are
 * left out with a synth warning, and the broker's own CORS (functions-src/cors.ts) still honours them.
 */
import { Annotations } from "cdktf";
import type { IConstruct } from "constructs";

/** Preflight answers are cached this long by browsers (bounded, so a removed origin stops working soon). */
export const CORS_MAX_AGE_SECONDS = 600;

/** The exact origins a platform setting can carry; warns once per construct about patterns it must leave out. */
export function platformOrigins(scope: IConstruct, origins: readonly string[] | undefined, where: string): string[] {
  const all = origins ?? [];
  const patterns = all.filter((o) => o.includes("*"));
  if (patterns.length > 0) {
    Annotations.of(scope).addWarning(
      `${where}: origin patterns ${patterns.join(", ")} cannot be set in platform CORS; list exact origins (with their port) for pages that call the deployed services`,
    );
  }
  return all.filter((o) => !o.includes("*"));
}
