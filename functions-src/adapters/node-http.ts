/** The broker over plain node:http: the local environment and the benchmarks. Binds where it is told (127.0.0.1 by default). */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Broker, BrokerRequest } from "../core";
import { problem } from "../problem";
import { clientIpFrom } from "./client-ip";

export interface NodeHttpOptions {
  host?: string;
  port?: number;
  /** Reading stops past this many bytes. @default 16384 */
  maxBodyBytes?: number;
  /** Reverse proxies in front of the broker whose X-Forwarded-For entries are trusted. @default 0 */
  trustedProxyHops?: number;
}

export async function startNodeHttpBroker(broker: Broker, options: NodeHttpOptions = {}): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const maxBody = options.maxBodyBytes ?? 16_384;
  const server = createServer(async (req, res) => {
    const body = await readBody(req, maxBody);
    const response =
      body === undefined
        ? problem("payload-too-large", `the body may be at most ${maxBody} bytes`)
        : await broker.handle(toBrokerRequest(req, body, options.trustedProxyHops ?? 0));
    res.writeHead(response.status, response.headers).end(response.body);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function toBrokerRequest(req: IncomingMessage, body: string, hops: number): BrokerRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
  // req.headers keeps only the first of some repeated headers (Authorization among them); headersDistinct has all.
  const repeatedHeaders = Object.entries(req.headersDistinct).flatMap(([k, v]) => (v && v.length > 1 ? [k] : []));
  return {
    repeatedHeaders,
    method: req.method ?? "GET",
    path: new URL(req.url ?? "/", "http://localhost").pathname,
    headers,
    body,
    clientIp: clientIpFrom(req.socket.remoteAddress, headers["x-forwarded-for"], hops),
  };
}

/** The body as text, or undefined when it exceeds the limit (the rest is not read into memory). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      req.resume();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(over ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(undefined));
  });
}
