/**
 * The CDN edge, playing Azure Front Door: `GET <edge>/<path>?<sas>` is forwarded unchanged to the origin container
 * over https, where storage verifies the SAS (signature, expiry, `sp=r`, `spr=https`, the one blob). The edge itself
 * checks nothing, like a Front Door route with `UseQueryString` caching (facts.md); it caches nothing here.
 */
import { createServer, type Server } from "node:http";
import { request } from "node:https";

export async function startCdnEdge(
  port: number,
  originContainerUrl: string,
  ca: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const origin = new URL(originContainerUrl);
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405, { allow: "GET, HEAD" }).end();
    const incoming = new URL(req.url ?? "/", "http://edge");
    const target = new URL(`${origin.pathname}${incoming.pathname}${incoming.search}`, origin);
    const up = request(target, { method: req.method, ca, headers: { "x-ms-version": "2025-11-05" } }, (r) => {
      const pass = ["content-type", "content-length", "cache-control", "etag", "last-modified"];
      const headers: Record<string, string> = { "access-control-allow-origin": "*" };
      for (const h of pass) if (r.headers[h]) headers[h] = String(r.headers[h]);
      res.writeHead(r.statusCode ?? 502, headers);
      r.pipe(res);
    });
    up.on("error", () => res.writeHead(502).end());
    up.end();
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
