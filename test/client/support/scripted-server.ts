/**
 * A small local HTTP server that answers from a script, for what the real broker cannot be made to do on cue
 * (a run of 503s, a 429 with a given Retry-After, a connection dropped mid-request). It records the arrival time
 * of each request by the process clock (jest's fake clock when faked), so tests measure the client's waits.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type ScriptedAnswer =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | "drop" // destroy the socket without an answer: a network error for the client
  | "stall"; // keep the connection open and never answer: a stalled broker

export class ScriptedServer {
  readonly arrivals: number[] = [];
  url = "";
  private server?: Server;

  /** `next` is called per request (0-based); its answer is sent as is. */
  constructor(private readonly next: (n: number) => ScriptedAnswer) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const n = this.arrivals.push(Date.now()) - 1;
        const answer = this.next(n);
        if (answer === "drop") return void req.socket.destroy();
        if (answer === "stall") return;
        const type = answer.status >= 400 ? "application/problem+json" : "application/json";
        res
          .writeHead(answer.status, { "content-type": type, ...answer.headers })
          .end(JSON.stringify(answer.body ?? {}));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

export const problem = (code: string, status: number) => ({
  type: `urn:azure-token-broker:problem:${code}`,
  title: code,
  status,
  detail: code,
});

/** A granted CDN credential as the broker shapes it. */
export const cdnAnswer = (path: string, expiresAt: number) => ({
  status: 200,
  body: {
    policy: "p",
    subject: "s",
    roles: ["r"],
    credentials: [
      { type: "cdn", path, url: `http://cdn.test${path}?sig=x`, expiresAt: new Date(expiresAt).toISOString() },
    ],
    denied: [],
  },
});
