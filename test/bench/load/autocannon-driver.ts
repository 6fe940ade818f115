/**
 * The load generator, in its own process (so it does not share a CPU budget with the broker's event loop):
 * autocannon's programmatic API against TB_URL on loopback. Tokens come from TB_TOKENS (a JSON file
 * {fresh: string[], repeat: string[]}): every FRESH_EVERY-th request takes the next never-used token, the others
 * cycle through the repeat pool. Prints one JSON line with autocannon's result.
 */
import { readFileSync } from "node:fs";
// autocannon ships no types; only its documented programmatic API is used here.
const autocannon = require("autocannon") as (
  options: object,
  done: (err: Error | null, result: Record<string, any>) => void,
) => { stop(): void };

const url = new URL(process.env.TB_URL!);
if (url.hostname !== "127.0.0.1") throw new Error("the load test targets 127.0.0.1 only");
const tokens = JSON.parse(readFileSync(process.env.TB_TOKENS!, "utf8")) as { fresh: string[]; repeat: string[] };
const freshEvery = Number(process.env.TB_FRESH_EVERY ?? 10);
const body = JSON.stringify({ requests: [{ type: "fluid", documentId: "doc-1" }] });
let n = 0;
let nextFresh = 0;

const instance = autocannon(
  {
    url: `${url.origin}/api/token`,
    connections: Number(process.env.TB_CONNECTIONS ?? 200),
    duration: Number(process.env.TB_SECONDS ?? 60),
    requests: [
      {
        method: "POST",
        setupRequest: (req: Record<string, unknown>) => {
          const i = n++;
          const fresh = i % freshEvery === 0 && nextFresh < tokens.fresh.length;
          const token = fresh ? tokens.fresh[nextFresh++] : tokens.repeat[i % tokens.repeat.length];
          return { ...req, body, headers: { "content-type": "application/json", authorization: `Bearer ${token}` } };
        },
      },
    ],
  },
  (err: Error | null, result: Record<string, any>) => {
    if (err) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify({ ...result, freshUsed: nextFresh })}\n`);
  },
);
process.once("SIGTERM", () => instance.stop());
