/**
 * The soak, in its own process so its memory is its own: TB_SUBJECTS distinct subjects, one exchange each, through
 * the in-process core (verifier + rate limiter + Fluid minter + audit sink to /dev/null) with Ed25519 tokens
 * signed here (the cheapest asymmetric signature, so a million exchanges finish in minutes). Resident memory is
 * sampled after a forced GC at TB_SAMPLES evenly spaced points. Prints one JSON line: the curve and its summary.
 * Run it as production runs: `node --expose-gc <NODE_WORKER_ARGUMENTS> soak.cjs` (functions-src/memory-budget.ts);
 * the summary says whether it did. TB_SPACES=1 adds V8's per-space use/committed sizes to the progress lines,
 * TB_SNAPSHOT=<file> writes a heap snapshot at the end.
 */
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import { exportJWK, generateKeyPair } from "jose";
import type { KeyObject } from "node:crypto";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { checkedOrThrow, loadCheckedPolicy as load } from "../../../lib/policy/authoring/checked-policy";
import { KeyServer } from "../../support/key-server";
import { NODE_WORKER_ARGUMENTS } from "../../../functions-src/memory-budget";
import { benchBroker } from "./bench-broker";
import { loadPolicy, tokenSigner } from "./bench-policy";

const SUBJECTS = Number(process.env.TB_SUBJECTS ?? 1_000_000);
const SAMPLES = Number(process.env.TB_SAMPLES ?? 20);

async function main() {
  const server = await new KeyServer().start();
  const ed = await generateKeyPair("EdDSA", { extractable: true });
  server.keys = [
    {
      kid: "d1",
      alg: "EdDSA",
      privateKey: ed.privateKey,
      publicJwk: { ...(await exportJWK(ed.publicKey)), kid: "d1", alg: "EdDSA", use: "sig" },
    },
  ];
  const { config } = compilePolicy(
    checkedOrThrow(
      load({ label: "soak", policyFile: "soak/policy.yaml", testFiles: [], read: () => loadPolicy(server.issuer) }),
    ),
    "bench",
  );
  const core = benchBroker(config);
  const sign = tokenSigner(ed.privateKey as KeyObject, "EdDSA", "d1", server.issuer);
  const body = JSON.stringify({ requests: [{ type: "fluid", documentId: "doc-1" }] });
  const gc = (globalThis as { gc?: () => void }).gc;
  const mb = (n: number) => Number((n / 2 ** 20).toFixed(1));
  const sample = (done: number) => {
    gc?.();
    const m = process.memoryUsage();
    return {
      subjects: done,
      rssMb: mb(m.rss),
      heapUsedMb: mb(m.heapUsed),
      // Where RSS beyond the used heap sits: V8's committed heap, or memory outside it (OpenSSL, buffers, malloc).
      heapTotalMb: mb(m.heapTotal),
      externalMb: mb(m.external),
      // The kernel's high-water mark of resident memory (KB), transient peaks between samples included.
      maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    };
  };
  const t0 = performance.now();
  const curve = [sample(0)];
  const every = Math.max(1, Math.floor(SUBJECTS / SAMPLES));
  let failures = 0;
  for (let i = 0; i < SUBJECTS; i++) {
    const r = await core.handle({
      method: "POST",
      path: "/api/token",
      headers: { authorization: `Bearer ${sign(`soak-subject-${i}`)}`, "content-type": "application/json" },
      body,
    });
    if (r.status !== 200) failures++;
    if ((i + 1) % every === 0) {
      curve.push(sample(i + 1));
      process.stderr.write(`soak ${JSON.stringify(curve[curve.length - 1])}\n`); // progress, for long runs
      if (process.env.TB_SPACES)
        process.stderr.write(
          `spaces ${v8
            .getHeapSpaceStatistics()
            .map((x) => `${x.space_name.replace("_space", "")}=${mb(x.space_used_size)}/${mb(x.space_size)}`)
            .join(" ")}\n`,
        );
    }
  }
  await server.stop();
  if (process.env.TB_SNAPSHOT) v8.writeHeapSnapshot(process.env.TB_SNAPSHOT);
  process.stdout.write(`${JSON.stringify({ subjects: SUBJECTS, failures, curve, summary: summarise(curve) })}\n`);
}
/** The figures the report quotes. Warm-up is the first fifth of the subjects (the rate limiter fills up to 100,000). */
function summarise(curve: { subjects: number; rssMb: number; heapUsedMb: number; maxRssMb: number }[]) {
  const after = curve.filter((p) => p.subjects >= SUBJECTS / 5);
  const rss = after.map((p) => p.rssMb);
  const round = (n: number) => Number(n.toFixed(1));
  return {
    peakRssAfterWarmupMb: Math.max(...rss),
    rssSpreadAfterWarmupMb: round(Math.max(...rss) - Math.min(...rss)),
    rssChangeAfterWarmupMb: round(rss[rss.length - 1] - rss[0]),
    // The kernel's high-water mark over the whole run, between samples included (no forced GC before it).
    maxRssMb: curve[curve.length - 1].maxRssMb,
    heapUsedPeakMb: Math.max(...curve.map((p) => p.heapUsedMb)),
    // What V8 actually runs with (proves the flags applied): the old generation's cap plus the young generation.
    heapLimitMb: round(v8.getHeapStatistics().heap_size_limit / 2 ** 20),
    nodeArguments: process.execArgv.filter((a) => a !== "--expose-gc").join(" "),
    productionArguments: process.execArgv.filter((a) => a !== "--expose-gc").join(" ") === NODE_WORKER_ARGUMENTS,
    gcExposed: typeof (globalThis as { gc?: unknown }).gc === "function",
  };
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(2);
});
