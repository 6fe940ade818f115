/**
 * `token-broker smoke --require`: against a real broker (node:http adapter, real token verification with a key
 * server as issuer, the Fluid minter reading its keys through functions-src/settings.ts as in Azure), it passes when
 * the secret settings hold keys and fails clearly when a Key Vault reference did not resolve (App Service then passes
 * the reference's literal text).
 */
import { startNodeHttpBroker } from "../../functions-src/adapters/node-http";
import { createBroker } from "../../functions-src/core";
import { createFluidMinter } from "../../functions-src/mint/fluid-minter";
import { fluidSettings } from "../../functions-src/settings";
import { TokenVerifier } from "../../functions-src/verify/verify-token";
import { smokeCommand } from "../../lib/cli/smoke-command";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../policy/helpers";
import { KeyServer, makeKey } from "../support/key-server";

const policyFor = (issuer: string) => `version: 1
issuers:
  idp:
    type: oidc
    issuer: ${issuer}
    audiences: [api://broker]
    algorithms: [RS256]
    claims: { sub: { type: string }, roles: { type: "string[]" } }
resources:
  fluid: {}
  cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } }
roles:
  smoke:
    when: { claim: roles, contains: smoke }
    grants:
      - fluid: { documents: "smoke-*", scopes: [doc:read], ttl: 10m }
      - cosmos: { container: items, partitionKey: "smoke", access: read, ttl: 1h }
environments: { dev: { stage: development } }
`;

const UNRESOLVED = "@Microsoft.KeyVault(SecretUri=https://kv-docs-dev.vault.azure.net/secrets/fluid-key2/)";
let issuer: KeyServer;
let token: string;

beforeAll(async () => {
  issuer = await new KeyServer().start();
  issuer.keys = [await makeKey("k1")];
  token = await issuer.sign({ sub: "smoke-bot", roles: ["smoke"], aud: "api://broker" });
});
afterAll(() => issuer.stop());

/** A broker whose Fluid keys come from app settings, as in Azure (FLUID_KEY1/2 from Key Vault references). */
async function brokerWith(settings: Record<string, string>) {
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(issuer.issuer))), "dev");
  const fluid = fluidSettings({ FLUID_TENANT_ID: "tenant", FLUID_ENDPOINT: "https://fluid.example", ...settings })!;
  // No Cosmos minter: this broker cannot issue Cosmos credentials (as when COSMOS_KEY is unset).
  return startNodeHttpBroker(
    createBroker({ config, verifier: new TokenVerifier(config), minters: { fluid: createFluidMinter(fluid) } }),
  );
}

async function smoke(url: string, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await smokeCommand(
    [url, "--token-env", "SMOKE_TOKEN", ...args],
    (s) => out.push(s),
    (s) => err.push(s),
    {
      SMOKE_TOKEN: token,
    },
  );
  return { code, out, err, printed: [...out, ...err].join("\n") };
}

const FLUID = ["--request", '{"type":"fluid","documentId":"smoke-1"}'];
const COSMOS = ["--request", '{"type":"cosmos","container":"items"}'];

it("passes when the Fluid keys resolved: the credential is issued", async () => {
  const broker = await brokerWith({ FLUID_KEY1: "key-one", FLUID_KEY2: "key-two" });
  try {
    const r = await smoke(broker.url, ...FLUID, "--require", "fluid");
    expect(r.err).toEqual([]);
    expect(r.out).toEqual([
      "health: ok",
      expect.stringMatching(/^token exchange: 200, 1 credential\(s\) \(fluid\)/),
      "fluid: issued (its secret setting resolved)",
    ]);
    expect(r.code).toBe(0);
    expect(r.printed).not.toContain(token);
  } finally {
    await broker.close();
  }
});

it("fails clearly when a Key Vault reference did not resolve (the literal reference reached the app)", async () => {
  const broker = await brokerWith({ FLUID_KEY1: "key-one", FLUID_KEY2: UNRESOLVED });
  try {
    const r = await smoke(broker.url, ...FLUID, "--require", "fluid");
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      'FAIL health: 200 {"status":"degraded"} (a secret setting did not resolve, or a backend\'s breaker is open)',
      expect.stringMatching(/^FAIL token exchange: 503 A backend is unavailable/),
      expect.stringMatching(
        /^FAIL fluid: backend-unavailable: its secret setting did not resolve .*Key Vault Secrets User role.*deploy publish/,
      ),
    ]);
    expect(r.printed).not.toContain("kv-docs-dev");
  } finally {
    await broker.close();
  }
});

it("fails on a required type the broker cannot issue even when another is issued (a partial 200)", async () => {
  const broker = await brokerWith({ FLUID_KEY1: "key-one", FLUID_KEY2: "key-two" });
  try {
    const r = await smoke(broker.url, ...FLUID, ...COSMOS, "--require", "fluid,cosmos");
    expect(r.code).toBe(1);
    expect(r.out).toContain("fluid: issued (its secret setting resolved)");
    expect(r.err).toEqual([
      expect.stringMatching(/^FAIL cosmos: backend-unavailable: its secret setting did not resolve/),
    ]);
  } finally {
    await broker.close();
  }
});

it("usage: --require names known types, each with a request of that type", async () => {
  expect((await smoke("https://x.example", ...FLUID, "--require", "cosmos")).err).toEqual([
    `--require cosmos needs a --request of that type, e.g. '{"type":"fluid","documentId":"smoke"}'`,
  ]);
  expect((await smoke("https://x.example", ...FLUID, "--require", "keys")).code).toBe(2);
});
