/** The broker over plain node:http: the local environment and the benchmarks. Binds where it is told (127.0.0.1 by default). */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MAX_BODY_BYTES, type Broker, type BrokerRequest } from "../core";
import { problem } from "../problem";
import { clientIpFrom } from "./client-ip";

export interface NodeHttpOptions {
  host?: string;
  port?: number;
  /** Reading stops past this many bytes. @default MAX_BODY_BYTES */
  maxBodyBytes?: number;
  /** Reverse proxies in front of the broker whose X-Forwarded-For entries are trusted. @default 0 */
  trustedProxyHops?: number;
}

export interface RunningNodeHttpBroker {
  server: Server;
  url: string;
  /** Stops at once: open connections are cut. */
  close(): Promise<void>;
  /**
   * Graceful stop: refuse new connections, let requests in flight finish (their connections then close), and cut
   * whatever is still open after `graceMs`. Resolves when the server is closed.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** Requests being handled now. */
  readonly inFlight: number;
}

export async function startNodeHttpBroker(
  broker: Broker,
  options: NodeHttpOptions = {},
): Promise<RunningNodeHttpBroker> {
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | undefined;
  const server = createServer(async (req, res) => {
    inFlight++;
    try {
      const body = await readBody(req, maxBody);
      const response =
        body === undefined
          ? problem("payload-too-large", `the body may be at most ${maxBody} bytes`)
          : await broker.handle(toBrokerRequest(req, body, options.trustedProxyHops ?? 0));
      // While draining, keep-alive clients are told to reconnect (elsewhere) rather than reuse this connection.
      const headers = draining ? { ...response.headers, connection: "close" } : response.headers;
      res.writeHead(response.status, headers).end(response.body);
    } finally {
      inFlight--;
      if (draining && inFlight === 0) drained?.();
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const closed = new Promise<void>((resolve) => server.once("close", () => resolve()));
  return {
    server,
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    get inFlight() {
      return inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    shutdown: async (graceMs = 10_000) => {
      draining = true;
      server.close();
      server.closeIdleConnections();
      const idle = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([idle, grace]);
      clearTimeout(timer);
      // Responses are written; connections still open are idle keep-alives or past the grace period.
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * SIGTERM/SIGINT (App Service, containers, Ctrl-C) drain the broker instead of dropping requests mid-flight, then
 * exit. The process exits within `graceMs` plus a second however the drain goes.
 */
export function exitGracefullyOnSignals(
  running: RunningNodeHttpBroker,
  graceMs = 10_000,
  exit: (code: number) => void = process.exit,
): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => exit(1), graceMs + 1000).unref();
    running.shutdown(graceMs).then(
      () => exit(0),
      () => exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
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
