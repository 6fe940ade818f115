/**
 * `npm run bench:client`: what the client SDK costs and saves, in one run.
 * 1. Broker calls for a simulated 1-hour editing session: 1,000 token asks spread over the hour across Fluid
 *    (orderer and storage tokens for one document), one Cosmos container and ten CDN paths, against the real broker
 *    (node:http, real key server; Cosmos through the contract double). The clock is simulated (client and broker
 *    share it), so the hour takes seconds. Bound: at most one broker fetch per credential per lifetime, i.e.
 *    ceil(session / (lifetime - refresh margin)) fetches per credential. Baseline in the same run: the same asks
 *    with no client cache (every ask a broker call).
 * 2. The SDK's browser bundle size (esbuild, minified, then gzip -9) per entry point: core, fluid, cosmos.
 */
import { gzipSync } from "node:zlib";
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { createBroker, type Broker } from "../../functions-src/core";
import { createCdnMinter } from "../../functions-src/mint/cdn-minter";
import { createCosmosMinter } from "../../functions-src/mint/cosmos-minter";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { BrokerClient, type CredentialRequest } from "../../lib/client/index";
import { DEV_ACCOUNT, DEV_KEY } from "../../lib/local/azurite";
import { CosmosRestContractDouble } from "../../lib/local/cosmos-rest-contract-double";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";
import { bundleForBrowser } from "../client/support/browser-bundle";
import { KeyServer, makeKey } from "../support/key-server";
import { emitBenchResult, quick, type BenchFigure } from "./bench-result";

const SESSION_S = 3600;
// --quick: a quarter of the asks; the bound (one fetch per credential per lifetime) does not depend on their number.
const ASKS = quick ? 250 : 1000;
const MARGIN_S = 60;
const TTL_S = { fluid: 600, cosmos: 3600, cdn: 600 };

const policyFor = (iss: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${iss}, audiences: [api://broker], algorithms: [RS256], claims: { sub: { type: string }, name: { type: string }, tid: { type: string, pattern: "^[a-z0-9]{1,20}$" } } }
resources:
  fluid: {}
  cdn: { prefixes: { /assets/: {} } }
  cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } }
roles:
  editor:
    when: { claim: tid, exists: true }
    grants:
      - { fluid: { documents: "*", scopes: [doc:read, doc:write, summary:write], ttl: ${TTL_S.fluid}s } }
      - { cdn: { prefix: /assets/, ttl: ${TTL_S.cdn}s, protocol: "https,http" } }
      - { cosmos: { container: items, partitionKey: "\${claims.tid}", access: all, ttl: ${TTL_S.cosmos}s } }
environments: { dev: { stage: development } }
`;

/** The session's asks: orderer and storage tokens for one document, one Cosmos container, ten CDN paths. */
function sessionAsks(): { at: number; request: CredentialRequest; credential: string }[] {
  const kinds: { request: CredentialRequest; credential: string }[] = [
    { request: { type: "fluid", documentId: "doc-1" }, credential: "fluid doc-1" }, // orderer token
    { request: { type: "fluid", documentId: "doc-1" }, credential: "fluid doc-1" }, // storage token (same credential)
    { request: { type: "cosmos", container: "items" }, credential: "cosmos items" },
    ...Array.from({ length: 10 }, (_, i) => ({
      request: { type: "cdn" as const, path: `/assets/img-${i}.png` },
      credential: `cdn img-${i}`,
    })),
  ];
  return Array.from({ length: ASKS }, (_, i) => ({
    at: Math.floor((i * SESSION_S * 1000) / ASKS),
    ...kinds[i % kinds.length],
  }));
}

async function main() {
  const issuer = await new KeyServer().start();
  issuer.keys = [await makeKey("k1")];
  const cosmos = await new CosmosRestContractDouble("db", { items: "/tenantId" }).start();
  const start = Date.now();
  let simulated = 0; // ms into the session
  const now = () => start + simulated;
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(issuer.issuer))), "dev");
  const core = createBroker({
    config,
    verifier: new TokenVerifier(config),
    now,
    minters: {
      fluid: createFluidMinter(() => ({
        tenantId: "t",
        endpoint: "http://127.0.0.1:1",
        key1: "bench-key-1",
        key2: "bench-key-2",
        active: "key1",
      })),
      cdn: createCdnMinter(() => ({
        baseUrl: "http://127.0.0.1:1/cdn-origin",
        container: "cdn-origin",
        signer: { kind: "account-key", accountName: DEV_ACCOUNT, keys: { primary: DEV_KEY, active: "primary" } },
      })),
      cosmos: createCosmosMinter(() => ({ endpoint: cosmos.endpoint, key: cosmos.key, database: "db" })),
    },
  });
  let calls = 0;
  let requests = 0;
  const counting: Broker = {
    handle: (req) => {
      if (req.method === "POST") {
        calls++;
        requests += (JSON.parse(req.body ?? "{}") as { requests?: unknown[] }).requests?.length ?? 0;
      }
      return core.handle(req);
    },
  };
  const http = await startNodeHttpBroker(counting);
  // Access tokens are verified on the real clock; one lives through the simulated hour.
  const accessToken = await issuer.sign(
    { sub: "bench-user", name: "Bench", tid: "contoso", aud: "api://broker" },
    { exp: Math.floor(Date.now() / 1000) + 600 },
  );

  async function run(cache: boolean) {
    simulated = 0;
    calls = 0;
    requests = 0;
    const client = new BrokerClient({
      brokerUrl: http.url,
      getAccessToken: async () => accessToken,
      now,
      refreshMarginMs: MARGIN_S * 1000,
    });
    const fetched = new Map<string, number>();
    for (const ask of sessionAsks()) {
      simulated = ask.at;
      const { fromCache } = await client.lookup(ask.request, { forceRefresh: !cache });
      if (!fromCache) fetched.set(ask.credential, (fetched.get(ask.credential) ?? 0) + 1);
    }
    return { calls, requests, fetched };
  }

  const t0 = performance.now();
  const sdk = await run(true);
  const sdkMs = performance.now() - t0;
  const baseline = await run(false);
  await http.close();
  await cosmos.stop();
  await issuer.stop();

  const boundFor = (credential: string) => {
    const ttl = credential.startsWith("fluid")
      ? TTL_S.fluid
      : credential.startsWith("cosmos")
        ? TTL_S.cosmos
        : TTL_S.cdn;
    return {
      ttl,
      bound: Math.ceil(SESSION_S / (ttl - Math.min(MARGIN_S, ttl / 2))),
      lifetimes: Math.ceil(SESSION_S / ttl),
    };
  };
  console.log(`\n## Client SDK: a simulated 1-hour session, ${ASKS} token asks (${sdk.fetched.size} credentials)\n`);
  console.log("| credential | ttl | broker fetches | bound: 1 per lifetime (ttl - 60 s margin) | lifetimes in 1 h |");
  console.log("|---|---|---|---|---|");
  let within = true;
  let boundTotal = 0;
  for (const [credential, n] of [...sdk.fetched].sort()) {
    const { ttl, bound, lifetimes } = boundFor(credential);
    boundTotal += bound;
    within &&= n <= bound;
    console.log(`| ${credential} | ${ttl} s | ${n} | <= ${bound} | ${lifetimes} |`);
  }
  console.log(`\n| | SDK (cache, de-dup, batching) | baseline (no client cache) |`);
  console.log("|---|---|---|");
  console.log(`| broker calls | ${sdk.calls} | ${baseline.calls} |`);
  console.log(`| credentials asked of the broker | ${sdk.requests} | ${baseline.requests} |`);
  console.log(`| bound (sum over credentials) | <= ${boundTotal} | |`);
  console.log(`| within the bound | ${within ? "yes" : "NO"} | |`);
  console.log(`| wall time for the simulated hour | ${sdkMs.toFixed(0)} ms | |`);

  console.log("\n## Client SDK browser bundles (esbuild --minify, platform browser, then gzip -9)\n");
  console.log("| entry point | minified | min+gzip | what it includes |");
  console.log("|---|---|---|---|");
  const entries: [string, string, string][] = [
    ["@azure-token-broker/client", `export * from "@azure-token-broker/client";`, "BrokerClient, CDN signedUrl"],
    // What an app loads for each use: the core plus the adapter (the Fluid runtime itself is the app's own).
    [
      "client + client/fluid",
      `export * from "@azure-token-broker/client"; export * from "@azure-token-broker/client/fluid";`,
      "+ BrokerFluidTokenProvider (not AzureClient)",
    ],
    [
      "client + client/cosmos",
      `export * from "@azure-token-broker/client"; export * from "@azure-token-broker/client/cosmos";`,
      "+ createCosmosClient and @azure/cosmos",
    ],
  ];
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const figures: BenchFigure[] = [
    {
      label: `broker calls in a simulated 1-hour session (${ASKS} asks, ${sdk.fetched.size} credentials)`,
      value: sdk.calls,
      baseline: baseline.calls,
      ratio: baseline.calls / sdk.calls,
      target: `<= ${boundTotal} (one per credential per lifetime)`,
      met: within,
    },
  ];
  for (const [name, source, what] of entries) {
    const bundle = await bundleForBrowser(source);
    const gzipped = gzipSync(bundle.code, { level: 9 }).length;
    console.log(`| ${name} | ${kib(bundle.bytes)} | ${kib(gzipped)} | ${what} |`);
    figures.push({
      label: `browser bundle, ${name} (min+gzip)`,
      value: Number((gzipped / 1024).toFixed(1)),
      unit: "KiB",
    });
  }
  emitBenchResult({
    bench: "client",
    figures,
    notes: ["baseline: the same asks with no client cache; ratio: how many times fewer broker calls the SDK makes"],
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
