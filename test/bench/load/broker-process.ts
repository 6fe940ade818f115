/**
 * The broker under load, in its own process: the real core (verifier, per-subject rate limiter, Fluid minter, a
 * JSON-lines audit sink to /dev/null so records are built and serialised as in production) over the node:http
 * adapter on 127.0.0.1. Env: TB_ISSUER. Prints "listening <url>"; exits on SIGTERM after draining.
 */
import { openSync, writeSync } from "node:fs";
import { exitGracefullyOnSignals, startNodeHttpBroker } from "../../../functions-src/adapters/node-http";
import { createBroker } from "../../../functions-src/core";
import { createFluidMinter } from "../../../functions-src/mint/fluid-minter";
import { SubjectRateLimiter } from "../../../functions-src/rate-limit";
import { TokenVerifier } from "../../../functions-src/verify/verify-token";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { checkedOrThrow, loadCheckedPolicy as load } from "../../../lib/policy/authoring/checked-policy";
import { loadPolicy } from "./bench-policy";

async function main() {
  const { config } = compilePolicy(
    checkedOrThrow(
      load({
        label: "load",
        policyFile: "load/policy.yaml",
        testFiles: [],
        read: () => loadPolicy(process.env.TB_ISSUER!),
      }),
    ),
    "bench",
  );
  const devNull = openSync("/dev/null", "w");
  const core = createBroker({
    config,
    verifier: new TokenVerifier(config),
    minters: {
      fluid: createFluidMinter(() => ({
        tenantId: "bench",
        endpoint: "http://127.0.0.1:1",
        key1: "bench-key-1",
        key2: "bench-key-2",
        active: "key1",
      })),
    },
    rateLimiter: new SubjectRateLimiter(),
    audit: (r) => writeSync(devNull, `${JSON.stringify({ audit: r })}\n`),
  });
  const running = await startNodeHttpBroker(core);
  exitGracefullyOnSignals(running, 5000);
  process.stdout.write(`listening ${running.url}\n`);
}
main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(2);
});
