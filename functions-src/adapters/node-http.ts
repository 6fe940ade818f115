/** The broker over plain node:http: the local environment and the benchmarks. Binds where it is told (127.0.0.1 by default). */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Server as NetServer, type AddressInfo, type Socket } from "node:net";
import { MAX_BODY_BYTES, type Broker, type BrokerRequest } from "../core";
import { problem, type BrokerResponse } from "../problem";
import { clientIpFrom } from "./client-ip";
import { originFormPath } from "./request-target";

export interface NodeHttpOptions {
  host?: string;
  port?: number;
  /** Reading stops past this many bytes. @default MAX_BODY_BYTES */
  maxBodyBytes?: number;
  /** Reverse proxies in front of the broker whose X-Forwarded-For entries are trusted. @default 0 */
  trustedProxyHops?: number;
  /** A request's headers must arrive within this time, or it is answered 408. @default 10_000 */
  headersTimeoutMs?: number;
  /** A whole request must arrive within this time, or it is answered 408. @default 15_000 */
  requestTimeoutMs?: number;
}

export interface RunningNodeHttpBroker {
  server: Server;
  url: string;
  /** Stops at once: open connections are cut. */
  close(): Promise<void>;
  /**
   * Graceful stop: refuse new connections; every request whose bytes arrived is answered (with `Connection: close`),
   * connections idle after an answer are closed, and whatever is still open after `graceMs` is cut. Resolves when
   * the server is closed.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** Requests being handled now. */
  readonly inFlight: number;
}

/** A connection that has not sent a request yet gets this long after a shutdown begins to send one. */
const FIRST_REQUEST_GRACE_MS = 1000;
/** The listener stays open during a shutdown until no connection arrived for this long... */
const ACCEPT_QUEUE_QUIET_MS = 50;
/** ...or this long has passed. */
const ACCEPT_QUEUE_MAX_MS = 1000;

export async function startNodeHttpBroker(
  broker: Broker,
  options: NodeHttpOptions = {},
): Promise<RunningNodeHttpBroker> {
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const hops = options.trustedProxyHops ?? 0;
  let inFlight = 0;
  let draining = false;
  let settled: (() => void) | undefined;
  /** Per connection: requests answered on it, and whether one is being handled now. */
  const connections = new Map<Socket, { answered: number; busy: boolean }>();
  let lastConnectionAt = 0;
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  // Node checks the two timeouts every connectionsCheckingInterval (30 s by default): a slow sender could hold a
  // connection for 40 s instead of 10. Checked at a tenth of the headers timeout (at least every second) instead.
  const connectionsCheckingInterval = Math.max(10, Math.min(1000, Math.floor(headersTimeout / 10)));
  const server = createServer({ connectionsCheckingInterval }, (req, res) => void answer(req, res));

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    inFlight++;
    const state = connections.get(req.socket);
    if (state) state.busy = true;
    try {
      let response: BrokerResponse;
      try {
        response = await respond(req);
      } catch {
        // Whatever escaped the core: an answer without a detail, never a crash and never a stack trace.
        response = problem("internal", "the broker failed to handle this request");
      }
      send(res, response, draining);
    } finally {
      inFlight--;
      if (state) {
        state.busy = false;
        state.answered++;
      }
      if (draining) settled?.();
    }
  }

  async function respond(req: IncomingMessage): Promise<BrokerResponse> {
    const path = originFormPath(req.url);
    if (path === undefined) {
      req.resume();
      return problem("bad-request", "the request target must be a path (origin-form), such as /api/token");
    }
    const body = await readBody(req, maxBody);
    if (body === undefined) return problem("payload-too-large", `the body may be at most ${maxBody} bytes`);
    return broker.handle(toBrokerRequest(req, path, body, hops));
  }

  server.on("connection", (socket: Socket) => {
    connections.set(socket, { answered: 0, busy: false });
    lastConnectionAt = Date.now();
    socket.once("close", () => {
      connections.delete(socket);
      if (draining) settled?.();
    });
  });
  server.on("clientError", answerClientError);
  // An Expect other than 100-continue: Node would answer an empty 417 itself.
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    send(res, problem("expectation-failed", "this server supports only Expect: 100-continue"), true);
  });
  // Node hands CONNECT to 'connect' listeners and cuts the socket when there is none: answer it like any refusal.
  server.on("connect", (_req: IncomingMessage, socket: Socket) =>
    writeRaw(socket, problem("method-not-allowed", "use POST", { headers: { allow: "GET, POST, OPTIONS" } })),
  );
  server.headersTimeout = headersTimeout;
  server.requestTimeout = options.requestTimeoutMs ?? 15_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let listening = true;
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      // net.Server's close, not http.Server's: the latter also destroys every connection without a request in
      // progress, including one whose request bytes are still in the socket buffer (that caller would get a reset).
      NetServer.prototype.close.call(server, () => resolve());
      // What http.Server's close would also do: stop its (unref'd) timeout checker; the grace period bounds the rest.
      const checker = Object.getOwnPropertySymbols(server).find(
        (k) => k.description === "http.server.connectionsCheckingInterval",
      );
      if (checker) clearInterval((server as unknown as Record<symbol, NodeJS.Timeout>)[checker]);
    });

  return {
    server,
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    get inFlight() {
      return inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        listening = false;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    shutdown: async (graceMs = 10_000) => {
      draining = true;
      // Connections the kernel completed before the signal wait in its accept queue, and Node accepts them a few
      // per turn of a busy event loop; closing the listener resets them. So the listener closes only once no
      // connection has come in for a short while (bounded), and what came in is answered with Connection: close.
      const quietSince = () => Date.now() - lastConnectionAt;
      const stopBy = Date.now() + ACCEPT_QUEUE_MAX_MS;
      while (quietSince() < ACCEPT_QUEUE_QUIET_MS && Date.now() < stopBy) {
        await new Promise((r) => setTimeout(r, ACCEPT_QUEUE_QUIET_MS));
        await new Promise((r) => setImmediate(r)); // after a poll phase: what was ready is accepted
      }
      const closed = stopListening(); // resolves once every connection has ended
      const started = Date.now();
      // Ends what holds no request: connections idle after an answer at once, connections that never sent a request
      // once the first-request grace is over (their bytes, if any were sent, have been read by then).
      const sweep = () => {
        const firstRequestOver = Date.now() - started >= Math.min(FIRST_REQUEST_GRACE_MS, graceMs);
        for (const [socket, s] of connections) if (!s.busy && (s.answered > 0 || firstRequestOver)) socket.end();
      };
      sweep();
      settled = sweep;
      const ticker = setInterval(sweep, 100);
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((resolve) => (grace = setTimeout(resolve, graceMs)))]);
      clearInterval(ticker);
      clearTimeout(grace);
      settled = undefined;
      // Past the grace period: cut whatever is still open.
      for (const socket of connections.keys()) socket.destroy();
      await closed;
    },
  };
}

/** Writes the answer; one that cannot be written (a header value Node refuses) becomes a bare 500, never a throw. */
function send(res: ServerResponse, response: BrokerResponse, closing: boolean): void {
  // While draining, keep-alive clients are told to reconnect (elsewhere) rather than reuse this connection.
  const headers = closing ? { ...response.headers, connection: "close" } : response.headers;
  try {
    res.writeHead(response.status, headers).end(response.body);
  } catch {
    if (res.headersSent) return void res.destroy();
    const fallback = problem("internal", "the broker failed to handle this request");
    res.writeHead(fallback.status, { ...fallback.headers, connection: "close" }).end(fallback.body);
  }
}

/**
 * Errors Node's parser answers itself (a malformed request line, headers too large, a request that did not arrive in
 * time) as problem+json with the broker's headers, where nothing of another answer was written to the socket yet
 * (the same condition Node's own default answer checks).
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  const inProgress = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (err.code === "ECONNRESET" || !socket.writable || inProgress?.headersSent) return void socket.destroy();
  const response =
    err.code === "HPE_HEADER_OVERFLOW"
      ? problem("headers-too-large", "the request headers are larger than this server reads")
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? problem("request-timeout", "the request was not received in time")
        : problem("bad-request", "the request is not well-formed HTTP/1.1");
  writeRaw(socket, response);
}

/** An answer written straight to the socket (no ServerResponse exists for it), then the connection closes. */
function writeRaw(socket: Socket, response: BrokerResponse): void {
  if (!socket.writable) return void socket.destroy();
  const head = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status]}`];
  for (const [k, v] of Object.entries(response.headers)) head.push(`${k}: ${v}`);
  head.push(`content-length: ${Buffer.byteLength(response.body)}`, "connection: close");
  socket.end(`${head.join("\r\n")}\r\n\r\n${response.body}`);
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

function toBrokerRequest(req: IncomingMessage, path: string, body: string, hops: number): BrokerRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
  // req.headers keeps only the first of some repeated headers (Authorization among them); headersDistinct has all.
  const repeatedHeaders = Object.entries(req.headersDistinct).flatMap(([k, v]) => (v && v.length > 1 ? [k] : []));
  return {
    repeatedHeaders,
    method: req.method ?? "GET",
    path,
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
    // An aborted request may end with neither "end" nor "error": its handler must still finish.
    req.on("close", () => resolve(over ? undefined : Buffer.concat(chunks).toString("utf8")));
  });
}
