/**
 * `npm run dev`: the whole system on 127.0.0.1 from the `local` environment of policies/. Starts the OIDC issuer,
 * tinylicious (real HMAC + expiry check), azurite over https (CDN origin) behind a CDN edge, the Cosmos stand-in (or
 * a real account when COSMOS_ENDPOINT and COSMOS_KEY are set), the broker over node:http and the demo page.
 * `stop()` stops every child, closes every server and deletes every temporary file: nothing survives for a second start.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Broker } from "../../../functions-src/core";
import type { InfraNeeds } from "../../policy/authoring/infra-needs";
import type { RuntimeConfig } from "../../policy/runtime/runtime-config";
import { Azurite, DEV_ACCOUNT, DEV_KEY } from "../azurite";
import { OidcIssuer, privateJwk } from "../oidc-issuer";
import { Tinylicious } from "../tinylicious";
import { buildDemoBundle } from "./demo-bundle";
import { PERSONAS } from "./personas";
import { assertPortsFree, type Ports } from "./ports";
import { CDN_CONTAINER } from "./sample-assets";
import { makeLoopbackCertificate } from "./tls";
import { removeTree } from "../remove-tree";

export const FLUID_TENANT = "local";

export interface DevOptions {
  ports: Ports;
  policyDir: string;
  /** Progress and reload messages (one line each). */
  log: (line: string) => void;
  /** A real Cosmos account or the emulator instead of the stand-in. */
  cosmos?: { endpoint: string; key: string };
  /** Audit records of the broker. @default dropped */
  audit?: (record: unknown) => void;
  /** Browser origins allowed beside the demo page's and `local.allowedOrigins` (`npm run dev -- --origin <url>`). */
  origins?: string[];
}

export interface DevEnvironment {
  urls: { demo: string; issuer: string; broker: string; fluid: string; storage: string; cosmos: string; cdn: string };
  cosmosIsStandIn: boolean;
  /** Contoso's shared note, created by a Contoso user (and registered as Contoso's). */
  noteId: string;
  /** Fabrikam's note, created by Fay of Fabrikam: what Contoso must not open. */
  fabrikamNoteId: string;
  audience: string;
  policy(): { config: RuntimeConfig; error?: string };
  stop(): Promise<void>;
}

export async function startDevEnvironment(o: DevOptions): Promise<DevEnvironment> {
  await assertPortsFree(o.ports);
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const s of stops.reverse().splice(0)) await Promise.resolve(s()).catch(() => undefined);
  };
  try {
    return await start(o, stops, stop);
  } catch (e) {
    await stop();
    throw e;
  }
}

async function start(
  o: DevOptions,
  stops: (() => Promise<void> | void)[],
  stop: () => Promise<void>,
): Promise<DevEnvironment> {
  const { ports } = o;
  const t0 = Date.now();
  const phase = (name: string) =>
    process.env.TB_DEV_TRACE && o.log(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] ${name}`);
  const script = buildDemoBundle(); // in parallel with the services
  script.catch(() => undefined);
  const home = mkdtempSync(join(tmpdir(), "tb-dev-"));
  stops.push(() => removeTree(home));
  const demoOrigin = `http://127.0.0.1:${ports.demo}`;
  const issuerUrl = `http://127.0.0.1:${ports.issuer}`;

  // The child processes boot first (they are most of the wait); heavy modules load here while they do.
  const tls = makeLoopbackCertificate(home);
  const fluidKeys: [string, string] = [randomBytes(24).toString("base64url"), randomBytes(24).toString("base64url")];
  const tinylicious = new Tinylicious({ [FLUID_TENANT]: fluidKeys });
  const azurite = new Azurite({ cert: tls.cert, key: tls.key });
  stops.push(
    () => tinylicious.stop(),
    () => azurite.stop(),
  );
  const booting: Promise<unknown>[] = [
    // Inside `home` too: removed with it even if the service's own stop fails.
    tinylicious.start(ports.fluid, join(home, "tinylicious")),
    azurite.start(ports.storage, join(home, "azurite")),
  ];
  booting.forEach((b) => b.catch(() => undefined));

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { compileLocal, describeProblems, watchPolicy }: typeof import("./local-policy") = require("./local-policy");
  let compiled = compileLocal(o.policyDir, issuerUrl, demoOrigin, o.origins);
  if (!compiled.ok)
    throw new Error(`the policy does not compile for \`local\`:\n${describeProblems(compiled.diagnostics)}`);
  const first = compiled.config;
  const firstInfra = compiled.infra;
  const localIssuer = first.issuers.find((i) => i.issuers.includes(issuerUrl));
  if (!localIssuer)
    throw new Error(
      `no issuer of the \`local\` environment is ${issuerUrl}: set environments.local.values.localIssuer`,
    );
  const audience = localIssuer.audiences[0];
  const database = first.resources.cosmos?.database ?? "docs";
  phase("policy compiled");
  // The issuer and the Cosmos stand-in answer CORS for the same exact origins as the broker (a port pattern such as
  // `http://localhost:*` is the broker's alone). The issuer is a child process: its list is fixed at start.
  const exactOrigins = (config: RuntimeConfig) =>
    (config.cors?.allowedOrigins ?? [demoOrigin]).filter((origin) => !origin.includes("*"));
  const issuer = new OidcIssuer(
    Object.fromEntries(PERSONAS.map((p) => [p.id, { claims: p.claims }])),
    audience,
    exactOrigins(first),
  );
  issuer.port = ports.issuer;
  stops.push(() => issuer.stop());
  booting.push(issuer.start([await privateJwk(`local-${Date.now()}`)]));

  /* eslint-disable @typescript-eslint/no-require-imports -- loaded after the children are spawned, on purpose */
  const {
    CosmosRestContractDouble,
  }: typeof import("../cosmos-rest-contract-double") = require("../cosmos-rest-contract-double");
  const {
    startNodeHttpBroker,
  }: typeof import("../../../functions-src/adapters/node-http") = require("../../../functions-src/adapters/node-http");
  const { createBroker }: typeof import("../../../functions-src/core") = require("../../../functions-src/core");
  const cdn: typeof import("../../../functions-src/mint/cdn-minter") = require("../../../functions-src/mint/cdn-minter");
  const cosmosMint: typeof import("../../../functions-src/mint/cosmos-minter") = require("../../../functions-src/mint/cosmos-minter");
  const fluidMint: typeof import("../../../functions-src/mint/fluid-minter") = require("../../../functions-src/mint/fluid-minter");
  const verify: typeof import("../../../functions-src/verify/verify-token") = require("../../../functions-src/verify/verify-token");
  const telemetryExport: typeof import("../../../functions-src/telemetry-export") = require("../../../functions-src/telemetry-export");
  const seed: typeof import("./seed") = require("./seed");
  const edgeMod: typeof import("./cdn-edge") = require("./cdn-edge");
  const edgeStack: typeof import("../edge/synth-front-door") = require("../edge/synth-front-door");
  const edgeProgram: typeof import("../edge/edge-from-stack") = require("../edge/edge-from-stack");
  const demoMod: typeof import("./demo-server") = require("./demo-server");
  const note: typeof import("./fluid-note") = require("./fluid-note");
  const owners: typeof import("../../../functions-src/fluid-owners/cosmos-owner-registry") = require("../../../functions-src/fluid-owners/cosmos-owner-registry");
  const ownerRegistry: typeof import("../../../functions-src/fluid-owners/owner-registry") = require("../../../functions-src/fluid-owners/owner-registry");
  const registration: typeof import("../../../functions-src/fluid-owners/registration-route") = require("../../../functions-src/fluid-owners/registration-route");
  /* eslint-enable @typescript-eslint/no-require-imports */
  phase("modules loaded");
  // The CDN edge runs the Front Door rules of the `local` environment's synthesized stack (while the children boot).
  // A policy without CDN prefixes has no Front Door: the edge then routes nothing (404), as no route would.
  const frontDoorOf = (infra: InfraNeeds) =>
    infra.cdn ? edgeProgram.edgeFromStack(edgeStack.synthesizeFrontDoor(infra)) : edgeProgram.NO_FRONT_DOOR;
  let frontDoor = frontDoorOf(firstInfra);
  phase("edge rules synthesized");
  const standIn = o.cosmos
    ? undefined
    : new CosmosRestContractDouble(
        database,
        Object.fromEntries([
          ...Object.entries(first.resources.cosmos?.containers ?? {}).map(([c, v]) => [c, v.partitionKeyPath]),
          // The Fluid owner registry (functions-src/fluid-owners), as the stacks provision it beside the others.
          [owners.FLUID_OWNERS_CONTAINER, owners.FLUID_OWNERS_PARTITION_KEY],
        ]),
      );
  stops.push(() => standIn?.stop());
  if (standIn) standIn.corsOrigins = exactOrigins(first);
  await Promise.all([...booting, standIn?.start(ports.cosmos)]);
  phase("services started");
  const cosmos = o.cosmos ?? { endpoint: standIn!.endpoint, key: standIn!.key };
  await Promise.all([
    seed.seedCdnOrigin(azurite.blobEndpoint, tls.pem),
    seed.seedProfiles(cosmos.endpoint, cosmos.key, database, !standIn),
  ]);
  phase("seeded");
  const edge = await edgeMod.startCdnEdge(ports.cdn, `${azurite.blobEndpoint}/${CDN_CONTAINER}`, tls.pem, {
    program: () => frontDoor,
    defaultCountry: devCountry(),
    log: o.log,
  });
  stops.push(() => edge.close());

  const minterSettings = () => ({
    tenantId: FLUID_TENANT,
    endpoint: tinylicious.endpoint,
    key1: fluidKeys[0],
    key2: fluidKeys[1],
    active: "key1" as const,
  });
  const minters = {
    fluid: fluidMint.createFluidMinter(minterSettings),
    cosmos: cosmosMint.createCosmosMinter(() => ({ endpoint: cosmos.endpoint, key: cosmos.key, database })),
    cdn: cdn.createCdnMinter(() => ({
      baseUrl: edge.url,
      container: CDN_CONTAINER,
      signer: { kind: "account-key", accountName: DEV_ACCOUNT, keys: { primary: DEV_KEY, active: "primary" } },
    })),
  };
  let current = {
    config: first,
    verifier: new verify.TokenVerifier(first),
    broker: undefined as unknown as Broker,
    error: undefined as string | undefined,
  };
  // One registry for the whole session: documents keep their owners across policy reloads.
  const registry = ownerRegistry.cachedOwnerRegistry(
    owners.cosmosOwnerRegistry(() => ({ endpoint: cosmos.endpoint, key: cosmos.key, database })),
  );
  const fluidOwnersFor = (config: RuntimeConfig) => {
    const tenantClaim = config.resources.fluidOwners?.tenantClaim;
    if (tenantClaim === undefined) return undefined;
    const fluid = minterSettings;
    const audit = o.audit;
    const register = registration.createFluidRegistration({
      registry,
      fluid,
      tenantClaim,
      policy: config.policyHash,
      audit,
    });
    return { registry, register };
  };
  const build = (config: RuntimeConfig) => {
    const verifier = new verify.TokenVerifier(config);
    const fluidOwners = fluidOwnersFor(config);
    return {
      config,
      verifier,
      broker: createBroker({ config, verifier, minters, audit: o.audit, fluidOwners }),
      error: undefined,
    };
  };
  current = build(first);
  // The server keeps one Broker; each reload swaps what it delegates to.
  const broker = await startNodeHttpBroker({ handle: (r) => current.broker.handle(r) }, { port: ports.broker });
  stops.push(() => broker.close());
  // TOKEN_BROKER_TELEMETRY=console|otlp (or OTEL_EXPORTER_OTLP_ENDPOINT): the local broker's spans and metrics too.
  const exporting = await telemetryExport.startTelemetryExport(process.env, o.log);
  if (exporting.kind !== "none") o.log(`telemetry: ${exporting.kind}`);
  stops.push(() => exporting.shutdown());

  const watcher = watchPolicy(
    o.policyDir,
    () => {
      compiled = compileLocal(o.policyDir, issuerUrl, demoOrigin, o.origins);
      if (compiled.ok) {
        if (compiled.config.policyHash === current.config.policyHash && !current.error) return;
        const nextFrontDoor = frontDoorOf(compiled.infra); // throws (last good policy keeps serving) on a refused rule
        current = build(compiled.config);
        frontDoor = nextFrontDoor;
        if (standIn) standIn.corsOrigins = exactOrigins(compiled.config);
        o.log(`policy reloaded: ${compiled.config.policyHash}`);
      } else {
        current = { ...current, error: describeProblems(compiled.diagnostics) };
        o.log(`policy error (still serving ${current.config.policyHash}):\n${current.error}`);
      }
    },
    (e) => {
      // `current` is replaced only after a reload succeeded, so the last good policy is still serving.
      current = { ...current, error: e instanceof Error ? e.message : String(e) };
      o.log(`policy reload failed (still serving ${current.config.policyHash}): ${current.error}`);
    },
  );
  stops.push(() => watcher.close());

  // Each note is created by a person of its tenant; the SDK registers it with the broker before attach() resolves.
  const admin = async () => issuer.token("admin");
  const fay = async () => issuer.token("fabrikam");
  const [noteId, fabrikamNoteId] = await Promise.all([
    note.createSharedNote(
      note.fluidClient(tinylicious.endpoint, broker.url, admin),
      "Edit me: every window on this note sees your change.",
    ),
    note.createSharedNote(note.fluidClient(tinylicious.endpoint, broker.url, fay), "Fabrikam's own note."),
  ]);

  phase("note created");
  const urls = {
    demo: demoOrigin,
    issuer: issuer.issuer,
    broker: broker.url,
    fluid: tinylicious.endpoint,
    storage: azurite.blobEndpoint,
    cosmos: cosmos.endpoint,
    cdn: edge.url,
  };
  const env: DevEnvironment = {
    urls,
    cosmosIsStandIn: standIn !== undefined,
    noteId,
    fabrikamNoteId,
    audience,
    policy: () => ({ config: current.config, error: current.error }),
    stop,
  };
  const demo = await demoMod.startDemoServer(ports.demo, env, () => current, script);
  stops.push(() => demo.close());
  phase("demo page served");
  return env;
}

/**
 * Where the local CDN edge places a caller without the `x-test-client-country` header: TB_DEV_COUNTRY, default US.
 * Front Door would place a loopback address in ZZ (unknown), which every deny list refuses.
 */
function devCountry(): string {
  const c = (process.env.TB_DEV_COUNTRY ?? "US").toUpperCase();
  if (!/^[A-Z]{2}$/.test(c)) throw new Error(`TB_DEV_COUNTRY must be a two-letter country code, got '${c}'`);
  return c;
}
