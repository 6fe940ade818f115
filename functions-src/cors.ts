/**
 * CORS for browser callers, answered by the broker itself (functions-src/core.ts wraps every answer with it).
 * The platform's CORS (App Service) answers preflights in Azure too, but whether it runs before Easy Auth on Flex
 * Consumption is not confirmed (facts.md), and the node:http broker has no platform in front: so the broker
 * answers preflights for /api/token and adds the headers to every answer, problem+json errors included, so a page
 * can read why it was refused. Only allowed origins get CORS headers; any other origin gets none and the browser
 * refuses the answer. No credentials mode: the bearer token is the credential, cookies never cross.
 */
import type { BrokerResponse } from "./problem";

/** Browsers cap it anyway (Chromium at 2 h); 10 minutes keeps an origin removed from the policy from lingering. */
export const PREFLIGHT_MAX_AGE_SECONDS = 600;
const ALLOWED_HEADERS = new Set(["authorization", "content-type"]);
const PORT_PATTERN = /^(http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])):\*$/;

export interface CorsRequest {
  method: string;
  path: string;
  headers: Readonly<Record<string, string | undefined>>;
}

export interface Cors {
  /** The answer to a CORS preflight, or undefined when the request is not one. */
  preflight(req: CorsRequest): BrokerResponse | undefined;
  /** Adds CORS headers to the response when the request's origin is allowed (and `Vary: Origin` always). */
  decorate(req: CorsRequest, res: BrokerResponse): BrokerResponse;
  allows(origin: string | undefined): boolean;
}

export function createCors(allowedOrigins: readonly string[]): Cors {
  const exact = new Set(allowedOrigins.filter((o) => !o.endsWith(":*")));
  const hosts = allowedOrigins.map((o) => PORT_PATTERN.exec(o)?.[1]).filter((h): h is string => h !== undefined);

  function allows(origin: string | undefined): boolean {
    if (!origin) return false;
    if (exact.has(origin)) return true;
    const m = /^(http:\/\/[^/]+):([1-9][0-9]{0,4})$/.exec(origin);
    return m !== null && Number(m[2]) <= 65535 && hosts.includes(m[1]);
  }

  function preflight(req: CorsRequest): BrokerResponse | undefined {
    if (req.method !== "OPTIONS" || !req.headers.origin || !req.headers["access-control-request-method"])
      return undefined;
    const headers: Record<string, string> = {
      "cache-control": "no-store",
      vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    };
    const requested = (req.headers["access-control-request-headers"] ?? "")
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    const fits =
      allows(req.headers.origin) &&
      (req.path === "/api/token" || req.path === "/api/fluid/documents") &&
      req.headers["access-control-request-method"] === "POST" &&
      requested.every((h) => ALLOWED_HEADERS.has(h));
    if (fits) {
      Object.assign(headers, {
        "access-control-allow-origin": req.headers.origin,
        "access-control-allow-methods": "POST",
        "access-control-allow-headers": "Authorization, Content-Type",
        "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
      });
    }
    // Without the allow headers the browser refuses the real request; the status carries no information.
    return { status: 204, headers, body: "" };
  }

  function decorate(req: CorsRequest, res: BrokerResponse): BrokerResponse {
    // In place: every answer is built for its request alone, and copying the headers showed up in profiles.
    const headers = res.headers;
    const vary = headers.vary;
    if (vary === undefined) headers.vary = "Origin";
    else if (!/(^|,\s*)Origin$/.test(vary)) headers.vary = `${vary}, Origin`;
    if (allows(req.headers.origin)) {
      headers["access-control-allow-origin"] = req.headers.origin!;
      // Cross-origin scripts read only safelisted headers; the client needs these to back off and re-authenticate.
      headers["access-control-expose-headers"] = "Retry-After, WWW-Authenticate";
    }
    return res;
  }

  return { preflight, decorate, allows };
}
