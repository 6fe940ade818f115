/**
 * The broker core both load processes drive: the real verifier, per-subject rate limiter and Fluid minter, with a
 * JSON-lines audit sink to /dev/null so records are built and serialised as in production.
 */
import { openSync, writeSync } from "node:fs";
import { createBroker, type Broker } from "../../../functions-src/core";
import { createFluidMinter } from "../../../functions-src/mint/fluid-minter";
import { SubjectRateLimiter } from "../../../functions-src/rate-limit";
import { TokenVerifier } from "../../../functions-src/verify/verify-token";
import type { RuntimeConfig } from "../../../lib/policy/runtime/runtime-config";

export function benchBroker(config: RuntimeConfig): Broker {
  const devNull = openSync("/dev/null", "w");
  return createBroker({
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
}
