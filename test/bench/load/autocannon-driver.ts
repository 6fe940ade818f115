/**
 * The load generator, in its own process (so it does not share a CPU budget with the broker's event loop):
 * autocannon's programmatic API against TB_URL on loopback. Tokens come from TB_TOKENS (a JSON file
 * {fresh: string[], repeat: string[]}), sent in TokenSequence's order (every TB_FRESH_EVERY-th request a never-used
 * token, the others the repeat callers in turn). Prints one JSON line: autocannon's result, the fresh tokens used
 * and every non-2xx answer counted by status and problem type.
 */
import { readFileSync } from "node:fs";
import { TokenSequence } from "./token-pools";
// autocannon ships no types; only its documented programmatic API is used here.
const autocannon = require("autocannon") as (
  options: object,
  done: (err: Error | null, result: Record<string, any>) => void,
) => { stop(): void };

const url = new URL(process.env.TB_URL!);
if (url.hostname !== "127.0.0.1") throw new Error("the load test targets 127.0.0.1 only");
const tokens = JSON.parse(readFileSync(process.env.TB_TOKENS!, "utf8")) as { fresh: string[]; repeat: string[] };
const duration = Number(process.env.TB_SECONDS ?? 60);
const sequence = new TokenSequence(tokens, Number(process.env.TB_FRESH_EVERY ?? 10));
const body = JSON.stringify({ requests: [{ type: "fluid", documentId: "doc-1" }] });
// Every request is meant to be valid, so every non-2xx is a finding: counted as "<status> <problem type>".
const refused: Record<string, number> = {};

const instance = autocannon(
  {
    url: `${url.origin}/api/token`,
    connections: Number(process.env.TB_CONNECTIONS ?? 200),
    duration,
    // Node accepts one connection per event-loop turn (libuv #3696), and a saturated broker's turn serves every ready
    // request first, so of 200 connections opened at once the last is accepted seconds later (~10 s here). With
    // autocannon's default 10 s timeout, those first requests counted as errors although each was answered; a request
    // still unanswered when the run ends is an error.
    timeout: Math.max(10, duration),
    requests: [
      {
        method: "POST",
        setupRequest: (req: Record<string, unknown>) => {
          const authorization = `Bearer ${sequence.next()}`;
          return { ...req, body, headers: { "content-type": "application/json", authorization } };
        },
        onResponse: (status: number, responseBody: string) => {
          if (status >= 200 && status < 300) return;
          const type =
            /"type":"urn:azure-token-broker:problem:([a-z-]+)"/.exec(responseBody)?.[1] ?? "(no problem type)";
          refused[`${status} ${type}`] = (refused[`${status} ${type}`] ?? 0) + 1;
        },
      },
    ],
  },
  (err: Error | null, result: Record<string, any>) => {
    if (err) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify({ ...result, freshUsed: sequence.freshUsed, refused })}\n`);
  },
);
process.once("SIGTERM", () => instance.stop());
