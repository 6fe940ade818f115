/**
 * The user-delegation SAS signer (the keyless default in Azure) against azurite in its OAuth mode: azurite issues a
 * user delegation key for a bearer token (over HTTPS, self-signed certificate made here with openssl) and checks the
 * SAS signed with it. azurite 3.35 checks the token's issuer prefix, audience and lifetime but not its signature, and
 * does not compare `sip` with the caller's address (Azure Storage does): those two are not shown here.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { Agent, get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { BlobServiceClient, newPipeline, StorageSharedKeyCredential, type Pipeline } from "@azure/storage-blob";
import type { GrantedCredential } from "../../../lib/policy/runtime/evaluate";
import { createCdnMinter, type CdnSettings } from "../../../functions-src/mint/cdn-minter";
import { userDelegationKeySource } from "../../../functions-src/mint/user-delegation-key";
import { Azurite, DEV_ACCOUNT, DEV_KEY } from "../../../lib/local/azurite";

const dir = mkdtempSync(join(tmpdir(), "tb-azurite-tls-"));
const certPath = join(dir, "cert.pem");
const keyPath = join(dir, "key.pem");
execFileSync(
  "openssl",
  [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    keyPath,
    "-out",
    certPath,
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ],
  { stdio: "ignore" },
);
const ca = readFileSync(certPath);
const agent = new Agent({ ca });
/** A storage pipeline whose requests use an agent that trusts only the test certificate. */
function trustingTestCertificate(pipeline: Pipeline): Pipeline {
  pipeline.factories.unshift({
    create: (next) => ({ sendRequest: (request) => next.sendRequest(Object.assign(request, { agent })) }),
  });
  return pipeline;
}

const azurite = new Azurite({ cert: certPath, key: keyPath }, true);
let keyRequests = 0;
/** An Entra-shaped token for Storage (azurite's OAuth mode reads oid/tid from it to derive the key). */
const credential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    keyRequests++;
    const now = Math.floor(Date.now() / 1000);
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const claims = {
      aud: "https://storage.azure.com",
      iss: "https://sts.windows.net/6a1b2c3d-0000-4000-8000-00000000d001/",
      nbf: now - 60,
      iat: now - 60,
      exp: now + 3600,
      oid: "6a1b2c3d-0000-4000-8000-0000000000aa",
      tid: "6a1b2c3d-0000-4000-8000-00000000d001",
    };
    return {
      token: `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}.c2ln`,
      expiresOnTimestamp: (now + 3600) * 1000,
    };
  },
};
let settings: CdnSettings;

beforeAll(async () => {
  await azurite.start();
  const admin = new BlobServiceClient(
    azurite.blobEndpoint,
    trustingTestCertificate(newPipeline(new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY))),
  );
  const container = admin.getContainerClient("cdn-origin");
  await container.create();
  await container.getBlockBlobClient("tenants/contoso/logo.png").upload("PNG-CONTOSO", 11);
  await container.getBlockBlobClient("tenants/fabrikam/secret.txt").upload("FABRIKAM", 8);
  const keys = userDelegationKeySource(
    new BlobServiceClient(azurite.blobEndpoint, trustingTestCertificate(newPipeline(credential))),
  );
  settings = {
    baseUrl: `${azurite.blobEndpoint}/cdn-origin`,
    container: "cdn-origin",
    signer: { kind: "user-delegation", accountName: DEV_ACCOUNT, userDelegationKey: keys },
  };
}, 30_000);
afterAll(() => azurite.stop());

type CdnGrant = Extract<GrantedCredential, { type: "cdn" }>;
const grant = (over: Partial<CdnGrant> = {}): CdnGrant => ({
  request: 0,
  type: "cdn",
  grant: "reader#0",
  path: "/tenants/contoso/logo.png",
  prefix: "/tenants/contoso/",
  bindClientIp: false,
  protocol: "https",
  ttlSeconds: 600,
  ...over,
});
const mint = async (g = grant(), now = Date.now()) =>
  new URL(
    String(
      (
        await createCdnMinter(() => settings).mint(g, {
          subject: "u1",
          issuer: "idp",
          claims: {},
          clientIp: "127.0.0.1",
          now,
        })
      ).url,
    ),
  );

function download(url: URL): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c)).on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

describe("issue 7.6 the user-delegation SAS signer against azurite", () => {
  it("signs with a key azurite issued for a bearer token; azurite serves the granted blob over HTTPS", async () => {
    const url = await mint();
    expect(url.searchParams.get("skoid")).toBe("6a1b2c3d-0000-4000-8000-0000000000aa");
    expect(url.searchParams.get("sktid")).toBe("6a1b2c3d-0000-4000-8000-00000000d001");
    expect(url.searchParams.has("sig")).toBe(true);
    expect(await download(url)).toEqual({ status: 200, body: "PNG-CONTOSO" });
  });

  it("azurite refuses the URL when the signature, the key's object id, the path or the expiry is changed", async () => {
    const url = await mint();
    const tampered = new URL(url);
    const sig = url.searchParams.get("sig")!;
    tampered.searchParams.set("sig", `${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`);
    expect((await download(tampered)).status).toBe(403);
    const otherKey = new URL(url);
    otherKey.searchParams.set("skoid", "6a1b2c3d-0000-4000-8000-0000000000bb");
    expect((await download(otherKey)).status).toBe(403);
    const otherPath = new URL(url);
    otherPath.pathname = `/${DEV_ACCOUNT}/cdn-origin/tenants/fabrikam/secret.txt`;
    expect((await download(otherPath)).status).toBe(403);
    const expired = await mint(grant({ ttlSeconds: 60 }), Date.now() - 3 * 60_000);
    expect((await download(expired)).status).toBe(403);
  });

  it("fetches the delegation key once and reuses it for later URLs", async () => {
    const before = keyRequests;
    for (let i = 0; i < 3; i++) expect((await download(await mint())).status).toBe(200);
    expect(keyRequests).toBe(before);
  });
});
