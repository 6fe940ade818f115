/**
 * CORS at the platform hops a browser page reaches: the Function App (platform CORS), the Cosmos account
 * (`cors_rule`, for the browser SDK), Blob storage (fetch() of signed CDN URLs) and Front Door (which caches the
 * first answer it gets, so with several origins the edge itself sets Access-Control-Allow-Origin per request Origin:
 * learn.microsoft.com/azure/frontdoor/standard-premium/troubleshoot-cross-origin-resources). Origins come from the
 * environment's `allowedOrigins`.
 * What the platform settings take (checked 2026-12): App Service / Functions CORS takes exact origins with their port
 * ("for example: http://example.com:12345"), or "*" alone (learn.microsoft.com/cli/azure/functionapp/cors, the ARM
 * CorsSettings.allowedOrigins); no port pattern. Storage and Cosmos take exact origins or "*". So `http://localhost:*`
 * is left out with a synth warning. It is NOT rescued by the broker's own CORS (functions-src/cors.ts) once deployed:
 * with platform CORS configured, App Service's CORS takes precedence and the app's own CORS headers have no effect
 * (learn.microsoft.com/azure/app-service/app-service-web-tutorial-rest-api, "Add CORS functionality"). A page on a
 * localhost port reaches the broker of `npm run dev`, or a deployed one only if its exact origin is listed.
 * Whether platform CORS answers a preflight before Easy Auth on Flex Consumption is not confirmed (facts.md): the
 * broker answers preflights itself too, which is what counts wherever no platform CORS is configured.
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
      `${where}: origin patterns ${patterns.join(", ")} cannot be set in platform CORS, and platform CORS takes precedence over the broker's own: pages on them cannot call the deployed services; list exact origins (with their port)`,
    );
  }
  return all.filter((o) => !o.includes("*"));
}
