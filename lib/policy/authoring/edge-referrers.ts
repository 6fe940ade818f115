/**
 * CDN referrer rules against the pages that load CDN content. A browser fetching a CDN URL from a page on another
 * origin sends, under the default `Referrer-Policy: strict-origin-when-cross-origin`, only the page's origin:
 * `Referer: https://docs.contoso.com/` (developer.mozilla.org/docs/Web/HTTP/Reference/Headers/Referrer-Policy).
 * The WAF rule is "Referer BeginsWith <prefix>" (lib/constructs/front-door.ts), so a prefix serves an allowed origin
 * only if it is a prefix of `<origin>/`; a prefix with a path never matches a cross-origin request. A request with
 * no Referer at all (mobile apps, `no-referrer` pages) matches no allow prefix and is refused.
 */
import { isOriginPattern } from "./check-origins";

/** `allow: origins` for one environment: each allowed origin as the Referer a browser sends from it. */
export function referrersFromOrigins(origins: string[]): string[] {
  // `http://localhost:*` (development only): every port, so the prefix ends at the colon.
  return origins.map((o) => (isOriginPattern(o) ? o.slice(0, -1) : `${o}/`).toLowerCase());
}

/** Whether a page of `origin` sends a Referer that begins with `prefix` (compared lowercase, as the WAF does). */
export function referrerMatchesOrigin(prefix: string, origin: string): boolean {
  const p = prefix.toLowerCase();
  const o = origin.toLowerCase();
  if (!isOriginPattern(o)) return `${o}/`.startsWith(p);
  const base = o.slice(0, -1); // `http://localhost:`
  return base.startsWith(p) || new RegExp(`^${escape(base)}[0-9]{1,5}/?$`).test(p);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
