/**
 * The broker under load, in its own process: the real core (verifier, per-subject rate limiter, Fluid minter, a
 * JSON-lines audit sink to /dev/null so records are built and serialised as in production) over the node:http
 * adapter on 127.0.0.1. Env: TB_ISSUER. Prints "listening <url>"; exits on SIGTERM after draining.
 */
import { exitGracefullyOnSignals, startNodeHttpBroker } from "../../../functions-src/adapters/node-http";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { checkedOrThrow, loadCheckedPolicy as load } from "../../../lib/policy/authoring/checked-policy";
import { benchBroker } from "./bench-broker";
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
  const core = benchBroker(config);
  const running = await startNodeHttpBroker(core);
  exitGracefullyOnSignals(running, 5000);
  process.stdout.write(`listening ${running.url}\n`);
}
main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(2);
});
