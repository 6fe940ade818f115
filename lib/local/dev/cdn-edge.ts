/**
 * The CDN edge, playing Azure Front Door: `GET <edge>/<path>?<sas>` goes through what the environment's synthesized
 * stack says Front Door does (lib/local/edge/edge-from-stack.ts): the route that takes the path (none: 404), the WAF
 * custom rules compiled from the policy's edge rules (a block answers the policy's denial status), then the request
 * is forwarded unchanged to the origin container over https, where storage verifies the SAS (signature, expiry,
 * `sp=r`, `spr=https`, the one blob), and the route's rule sets write the response headers (CORS per allowed origin).
 * It caches nothing.
 * Geo-IP stands in as a request header, on this local edge only: `x-test-client-country: KP`. Without it the client
 * is in `defaultCountry`. Front Door would place a loopback caller in `ZZ` (unknown), which a deny list refuses.
 * Not played: https (the edge listens on http; routes say Https only), caching, compression.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { request } from "node:https";
import type { EdgeProgram } from "../edge/edge-from-stack";
import type { EdgeRequest } from "../edge/waf-match";

export const TEST_COUNTRY_HEADER = "x-test-client-country";

export interface CdnEdgeOptions {
  /** The Front Door program of the environment's stack (read per request: a policy reload replaces it). */
  program: () => EdgeProgram;
  /** Where a caller without the test header is. @default "ZZ" (unknown) */
  defaultCountry?: string;
  /** One line per WAF decision other than a plain pass (rule names only: no URL, no signature). */
  log?: (line: string) => void;
}

export async function startCdnEdge(
  port: number,
  originContainerUrl: string,
  ca: string,
  options: CdnEdgeOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  const origin = new URL(originContainerUrl);
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405, { allow: "GET, HEAD" }).end();
    const edgeRequest = toEdgeRequest(req, options.defaultCountry ?? "ZZ");
    if (!edgeRequest) return void res.writeHead(400).end();
    const verdict = options.program().decide(edgeRequest);
    if (verdict.kind === "no-route") return void res.writeHead(404, { "content-type": "text/plain" }).end("no route\n");
    if (verdict.waf.logged.length > 0) options.log?.(`edge: WAF logged ${verdict.waf.logged.join(", ")}`);
    if (verdict.kind === "deny") {
      options.log?.(`edge: WAF rule ${verdict.waf.rule} blocked a request (${verdict.waf.status})`);
      const body = verdict.waf.body ?? Buffer.from("The request is blocked.\n");
      return void res.writeHead(verdict.waf.status, { "content-type": "text/plain" }).end(body);
    }
    if (verdict.kind === "redirect") return void res.writeHead(302, { location: verdict.location }).end();
    const incoming = new URL(edgeRequest.target, "http://edge");
    const target = new URL(`${origin.pathname}${incoming.pathname}${incoming.search}`, origin);
    const up = request(target, { method: req.method, ca, headers: { "x-ms-version": "2025-11-05" } }, (r) => {
      const pass = ["content-type", "content-length", "cache-control", "etag", "last-modified"];
      const fromOrigin: Record<string, string> = {};
      for (const h of pass) if (r.headers[h]) fromOrigin[h] = String(r.headers[h]);
      res.writeHead(r.statusCode ?? 502, verdict.responseHeaders(fromOrigin));
      r.pipe(res);
    });
    up.on("error", () => res.writeHead(502).end());
    up.end();
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

function toEdgeRequest(req: IncomingMessage, defaultCountry: string): EdgeRequest | undefined {
  const target = req.url ?? "/";
  // `new URL` throws on targets such as `//` (facts.md): only origin-form targets reach the program.
  if (!target.startsWith("/") || target.startsWith("//")) return undefined;
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
  const claimed = headers[TEST_COUNTRY_HEADER]?.trim().toUpperCase();
  // A malformed stand-in is refused, not read as the default: a test must never pass by falling back silently.
  if (claimed !== undefined && !/^[A-Z]{2}$/.test(claimed)) return undefined;
  return {
    method: req.method ?? "GET",
    target,
    headers,
    socketAddress: req.socket.remoteAddress ?? "",
    country: claimed ?? defaultCountry,
  };
}
