/**
 * The policy's edge rules, executed end to end: a caller's token -> the broker (node:http) -> a signed URL on the local
 * edge -> the edge runs the WAF custom rules and rule sets of the `dev` stack synthesized from the same policy ->
 * azurite (https) checks the SAS and serves the blob. A denied country or referrer gets the policy's denial status
 * (429 here, so it cannot be confused with storage's 403); an allowed one gets the asset's bytes, with CORS answered
 * for the app's origin only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNodeHttpBroker } from "../../../functions-src/adapters/node-http";
import { createBroker } from "../../../functions-src/core";
import { createCdnMinter } from "../../../functions-src/mint/cdn-minter";
import { TokenVerifier } from "../../../functions-src/verify/verify-token";
import { Azurite, DEV_ACCOUNT, DEV_KEY } from "../../../lib/local/azurite";
import { startCdnEdge, TEST_COUNTRY_HEADER } from "../../../lib/local/dev/cdn-edge";
import { seedCdnOrigin } from "../../../lib/local/dev/seed";
import { makeLoopbackCertificate } from "../../../lib/local/dev/tls";
import { edgeFromStack } from "../../../lib/local/edge/edge-from-stack";
import { KeyServer, makeKey } from "../../support/key-server";
import { synthEnvironment } from "../../stacks/helpers";

const APP = "https://docs-dev.contoso.com"; // environments.yaml: dev.allowedOrigins
const home = mkdtempSync(join(tmpdir(), "tb-edge-e2e-"));
const tls = makeLoopbackCertificate(home);
const azurite = new Azurite({ cert: tls.cert, key: tls.key });
const issuer = new KeyServer();
let broker: Awaited<ReturnType<typeof startNodeHttpBroker>>;
let edge: Awaited<ReturnType<typeof startCdnEdge>>;
const blocked: string[] = [];

const policyFor = (iss: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${iss}, audiences: [api://broker], algorithms: [RS256], claims: { sub: { type: string }, tid: { type: string, pattern: "[a-z0-9-]{1,40}" } } }
resources:
  cdn:
    prefixes:
      /tenants/:
        edge:
          countries: { deny: [KP, IR] }
          referrers: { allow: origins, withoutReferer: refuse }
          denialStatus: 429
roles:
  member:
    when: { claim: tid, exists: true }
    grants: [{ cdn: { prefix: "/tenants/\${claims.tid}/", ttl: 5m } }]
`;

beforeAll(async () => {
  await Promise.all([azurite.start(), issuer.start()]);
  issuer.keys = [await makeKey("k1")];
  // The same stack `cdktf synth` would write for dev, and the same policy's runtime config for the broker.
  const { json, compiled } = synthEnvironment("dev", { policyText: policyFor(issuer.issuer) });
  const program = edgeFromStack(json);
  edge = await startCdnEdge(0, `${azurite.blobEndpoint}/cdn-origin`, tls.pem, {
    program: () => program,
    defaultCountry: "US",
    log: (line) => blocked.push(line),
  });
  await seedCdnOrigin(azurite.blobEndpoint, tls.pem); // over https, trusting only the loopback certificate
  const cdn = createCdnMinter(() => ({
    baseUrl: edge.url,
    container: "cdn-origin",
    signer: { kind: "account-key", accountName: DEV_ACCOUNT, keys: { primary: DEV_KEY, active: "primary" } },
  }));
  const config = compiled.config;
  broker = await startNodeHttpBroker(createBroker({ config, verifier: new TokenVerifier(config), minters: { cdn } }));
}, 90_000);

afterAll(async () => {
  await Promise.all([broker?.close(), edge?.close()]);
  await Promise.all([azurite.stop(), issuer.stop()]);
  rmSync(home, { recursive: true, force: true });
});

async function signedUrl(tid: string, path: string): Promise<string> {
  const token = await issuer.sign({ sub: "u1", tid, aud: "api://broker" });
  const res = await fetch(`${broker.url}/api/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ requests: [{ type: "cdn", path }] }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { credentials: { url: string }[] }).credentials[0].url;
}

const CONTOSO = "0c0ffee0-0000-4000-8000-00000000a001"; // lib/local/dev/personas.ts (its logo is a sample asset)
const logo = `/tenants/${CONTOSO}/logo.svg`;

it("an allowed country with the app's page as Referer gets the asset's bytes, and CORS for the app's origin", async () => {
  const url = await signedUrl(CONTOSO, logo);
  expect(url.startsWith(`${edge.url}${logo}?`)).toBe(true);
  const res = await fetch(url, { headers: { referer: `${APP}/editor`, origin: APP, [TEST_COUNTRY_HEADER]: "DE" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("image/svg+xml");
  expect(await res.text()).toContain('aria-label="Contoso logo"');
  expect(res.headers.get("access-control-allow-origin")).toBe(APP);
  expect(res.headers.get("vary")).toBe("Origin");
}, 30_000);

it.each(["KP", "IR"])(
  "a caller in %s gets the policy's denial status, not the asset",
  async (country) => {
    const url = await signedUrl(CONTOSO, logo);
    const res = await fetch(url, { headers: { referer: `${APP}/`, origin: APP, [TEST_COUNTRY_HEADER]: country } });
    expect(res.status).toBe(429);
    expect(await res.text()).not.toContain("Contoso");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  },
  30_000,
);

it("another site's page, or no Referer at all, gets the denial status; a valid SAS does not help", async () => {
  const url = await signedUrl(CONTOSO, logo);
  const other = await fetch(url, { headers: { referer: "https://evil.example/", [TEST_COUNTRY_HEADER]: "DE" } });
  expect(other.status).toBe(429);
  const none = await fetch(url, { headers: { [TEST_COUNTRY_HEADER]: "DE" } });
  expect(none.status).toBe(429);
  expect(blocked.some((l) => l.includes("RefAllow") && l.includes("429"))).toBe(true);
}, 30_000);

it("an origin the stack does not list gets the asset (the WAF admits the Referer) but no Allow-Origin, not '*'", async () => {
  const url = await signedUrl(CONTOSO, logo);
  const res = await fetch(url, { headers: { referer: `${APP}/`, origin: "https://evil.example" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("access-control-allow-origin")).toBeNull();
}, 30_000);

it("a malformed country stand-in is refused rather than read as the default; a path no route takes is 404", async () => {
  const url = await signedUrl(CONTOSO, logo);
  expect((await fetch(url, { headers: { referer: `${APP}/`, [TEST_COUNTRY_HEADER]: "Germany" } })).status).toBe(400);
  expect((await fetch(`${edge.url}/elsewhere/file.txt`)).status).toBe(404);
}, 30_000);
