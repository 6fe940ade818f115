/**
 * A real broker for client tests: a real key server (OIDC discovery + JWKS), the framework-free core with the Fluid
 * and CDN minters (signing locally: no service needed to mint), served over node:http on 127.0.0.1. It records each
 * call's request count so tests can count broker calls and batch sizes from the server's side.
 */
import { startNodeHttpBroker } from "../../../functions-src/adapters/node-http";
import { createBroker, type Broker } from "../../../functions-src/core";
import { createCdnMinter } from "../../../functions-src/mint/cdn-minter";
import { createCosmosMinter, type CosmosSettings } from "../../../functions-src/mint/cosmos-minter";
import { createFluidMinter } from "../../../functions-src/mint/fluid-minter";
import { TokenVerifier } from "../../../functions-src/verify/verify-token";
import { DEV_ACCOUNT, DEV_KEY } from "../../../lib/local/azurite";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../../policy/helpers";
import { KeyServer, makeKey } from "../../support/key-server";

export const FLUID_KEYS: [string, string] = ["fluid-key-1-for-client-tests", "fluid-key-2-for-client-tests"];

const policyFor = (iss: string, fluidTtl: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${iss}, audiences: [api://broker], algorithms: [RS256], claims: { sub: { type: string }, name: { type: string }, roles: { type: "string[]" }, tid: { type: string, pattern: "^[a-z0-9]{1,20}$" } } }
resources:
  fluid: {}
  cdn: { prefixes: { /assets/: {} } }
  cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants:
      - { fluid: { documents: "*", create: true, scopes: [doc:read, doc:write, summary:write], ttl: ${fluidTtl} } }
      - { cdn: { prefix: /assets/, ttl: 10m, protocol: "https,http" } }
      - { cosmos: { container: items, partitionKey: "\${claims.tid}", access: read, ttl: 1h } }
environments: { dev: { stage: development } }
`;

export interface RealBrokerOptions {
  /** @default "10m" */
  fluidTtl?: string;
  fluidEndpoint?: string;
  /** Where CDN URLs point. @default an unreachable loopback origin (tests that only count calls) */
  cdnBaseUrl?: string;
  cosmos?: () => CosmosSettings;
}

export class RealBroker {
  readonly issuer = new KeyServer();
  /** Requests per broker call, in arrival order. */
  readonly calls: number[] = [];
  url = "";
  /** Added to the broker's clock (the core's `now`: what credentials are minted at); the key server keeps real time. */
  clockOffsetMs = 0;
  private server?: Awaited<ReturnType<typeof startNodeHttpBroker>>;
  private core?: Broker;

  constructor(private readonly options: RealBrokerOptions = {}) {}

  async start(): Promise<this> {
    await this.issuer.start();
    this.issuer.keys = [await makeKey("k1")];
    const { config } = compilePolicy(
      loadOk(filesInMemory(policyFor(this.issuer.issuer, this.options.fluidTtl ?? "10m"))),
      "dev",
    );
    const core = createBroker({
      config,
      now: () => Date.now() + this.clockOffsetMs,
      verifier: new TokenVerifier(config),
      minters: {
        fluid: createFluidMinter(() => ({
          tenantId: "local",
          endpoint: this.options.fluidEndpoint ?? "http://127.0.0.1:1",
          key1: FLUID_KEYS[0],
          key2: FLUID_KEYS[1],
          active: "key1",
        })),
        ...(this.options.cosmos && { cosmos: createCosmosMinter(this.options.cosmos) }),
        cdn: createCdnMinter(() => ({
          baseUrl: this.options.cdnBaseUrl ?? "http://127.0.0.1:1/cdn-origin",
          container: "cdn-origin",
          signer: { kind: "account-key", accountName: DEV_ACCOUNT, keys: { primary: DEV_KEY, active: "primary" } },
        })),
      },
    });
    const counting: Broker = {
      handle: (req) => {
        if (req.path === "/api/token" && req.method === "POST") {
          try {
            this.calls.push((JSON.parse(req.body ?? "") as { requests: unknown[] }).requests.length);
          } catch {
            this.calls.push(0);
          }
        }
        return core.handle(req);
      },
    };
    this.core = counting;
    await this.startHttp();
    return this;
  }

  /** (Re)opens the broker's HTTP server, on `port` when given (to come back where clients expect it). */
  async startHttp(port?: number): Promise<void> {
    this.server = await startNodeHttpBroker(this.core!, { port });
    this.url = this.server.url;
  }

  /** Takes the broker off the network (connections refused) without forgetting its state. */
  async stopHttp(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  async stop(): Promise<void> {
    await this.stopHttp();
    await this.issuer.stop();
  }

  /** An access token for a persona, signed now (the test's clock) by the real key server. */
  token(roles: string[] = ["editor"], sub = "user-1", tid = "contoso"): Promise<string> {
    return this.issuer.sign({ sub, name: sub, roles, tid, aud: "api://broker" });
  }
}
