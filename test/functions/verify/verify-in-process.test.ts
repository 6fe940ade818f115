/**
 * The broker's own signature and registered-claim checks (verify-token.ts + jws-signature.ts replaced jose's
 * jwtVerify on the hot path, issue 12): the cases jose used to decide for us, against a real HTTP key server.
 */
import { generateKeyPairSync } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import type { RuntimeConfig } from "../../../lib/policy/runtime/runtime-config";
import { TokenError, TokenVerifier, type TokenErrorCode } from "../../../functions-src/verify/verify-token";
import { filesInMemory, loadOk } from "../../policy/helpers";
import { KeyServer, makeKey, type TestKey } from "../../support/key-server";

const policyFor = (issuer: string, extra = "") => `version: 1
issuers:
  idp:
    type: oidc
    issuer: ${issuer}
    audiences: [api://broker, api://broker-2]
    algorithms: [RS256, PS256, ES256, EdDSA]
    clockTolerance: 30s${extra}
    claims:
      sub: { type: string }
resources: { cdn: { prefixes: { /files/: {} } } }
roles:
  member:
    when: { claim: sub, equals: alice }
    grants: [{ cdn: { prefix: "/files/", ttl: 10m } }]
environments: { dev: { stage: development } }
`;

let server: KeyServer;
let rsa: TestKey;
let config: RuntimeConfig;
const now = () => Math.floor(Date.now() / 1000);
const claims = () => ({ iss: server.issuer, sub: "alice", aud: "api://broker", iat: now(), exp: now() + 300 });

async function codeOf(p: Promise<unknown>): Promise<TokenErrorCode | "ok"> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (e instanceof TokenError) return e.code;
    throw e;
  }
}

beforeAll(async () => {
  server = await new KeyServer().start();
  rsa = await makeKey("k1");
  config = compilePolicy(loadOk(filesInMemory(policyFor(server.issuer))), "dev").config;
});
afterAll(() => server.stop());

it("accepts each allowed algorithm family signed by its key: RS256, PS256, ES256, EdDSA", async () => {
  const keys = [rsa, await makeKey("p1", "PS256"), await makeKey("e1", "ES256"), await makeKey("d1", "EdDSA")];
  server.keys = keys;
  const v = new TokenVerifier(config);
  for (const key of keys)
    expect(await codeOf(v.verify(await server.sign({ sub: "alice", aud: "api://broker" }, { key })))).toBe("ok");
});

it("refuses an RSA key shorter than 2048 bits even when the issuer publishes it", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const small: TestKey = {
    kid: "small",
    alg: "RS256",
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid: "small", alg: "RS256", use: "sig" },
  };
  server.keys = [rsa, small];
  // jose refuses to sign with it too, so the token is signed with node:crypto directly.
  const token = server.signRaw({ alg: "RS256", kid: "small" }, claims(), small);
  expect(await codeOf(new TokenVerifier(config).verify(token))).toBe("ERR_TOKEN_SIGNATURE");
});

it("refuses an ES256 token whose kid names a P-384 key", async () => {
  const p384 = await generateKeyPair("ES384", { extractable: true });
  server.keys = [
    rsa,
    {
      kid: "e384",
      alg: "ES256",
      privateKey: p384.privateKey,
      publicJwk: { ...(await exportJWK(p384.publicKey)), kid: "e384", use: "sig" },
    },
  ];
  const token = await new SignJWT(claims()).setProtectedHeader({ alg: "ES384", kid: "e384" }).sign(p384.privateKey);
  const relabelled = `${Buffer.from(JSON.stringify({ alg: "ES256", kid: "e384" })).toString("base64url")}.${token.split(".").slice(1).join(".")}`;
  expect(await codeOf(new TokenVerifier(config).verify(relabelled))).toBe("ERR_TOKEN_SIGNATURE");
});

it("tries every key when several match (no kid), and accepts the one that verifies", async () => {
  const a = await makeKey("a");
  const b = await makeKey("b");
  server.keys = [
    { ...a, publicJwk: { ...a.publicJwk, kid: undefined } },
    { ...b, publicJwk: { ...b.publicJwk, kid: undefined } },
  ];
  const token = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256" }).sign(b.privateKey);
  expect(await codeOf(new TokenVerifier(config).verify(token))).toBe("ok");
  const forged = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256" }).sign((await makeKey("c")).privateKey);
  expect(await codeOf(new TokenVerifier(config).verify(forged))).toBe("ERR_TOKEN_SIGNATURE");
});

describe("registered claims, after the signature", () => {
  beforeAll(() => {
    server.keys = [rsa];
  });
  const signed = (payload: Record<string, unknown>, header: Record<string, unknown> = { alg: "RS256", kid: "k1" }) =>
    server.signRaw(header, payload, rsa);
  const cases: [string, () => Record<string, unknown>, TokenErrorCode | "ok"][] = [
    ["a second audience in a list", () => ({ ...claims(), aud: ["api://x", "api://broker-2"] }), "ok"],
    ["no aud at all", () => ({ ...claims(), aud: undefined }), "ERR_TOKEN_AUDIENCE"],
    ["aud that is a number", () => ({ ...claims(), aud: 7 }), "ERR_TOKEN_AUDIENCE"],
    ["exp as a string", () => ({ ...claims(), exp: String(now() + 300) }), "ERR_TOKEN_CLAIMS"],
    ["iat as a string", () => ({ ...claims(), iat: String(now()) }), "ERR_TOKEN_CLAIMS"],
    ["nbf as a string", () => ({ ...claims(), nbf: "0" }), "ERR_TOKEN_CLAIMS"],
    ["no iat", () => ({ ...claims(), iat: undefined }), "ERR_TOKEN_CLAIMS"],
    ["expired inside the 30 s tolerance", () => ({ ...claims(), exp: now() - 10 }), "ok"],
    ["expired just past the tolerance", () => ({ ...claims(), exp: now() - 31 }), "ERR_TOKEN_EXPIRED"],
    ["nbf inside the tolerance", () => ({ ...claims(), nbf: now() + 20 }), "ok"],
    ["nbf past the tolerance", () => ({ ...claims(), nbf: now() + 45 }), "ERR_TOKEN_NOT_YET_VALID"],
  ];
  it.each(cases)("%s", async (_name, payload, code) => {
    expect(await codeOf(new TokenVerifier(config).verify(signed(JSON.parse(JSON.stringify(payload())))))).toBe(code);
  });

  it("a signature over other bytes (payload swapped after signing) is refused before any claim is read", async () => {
    const good = signed(claims());
    const [h, , s] = good.split(".");
    const evil = Buffer.from(JSON.stringify({ ...claims(), sub: "admin", aud: 1 })).toString("base64url");
    expect(await codeOf(new TokenVerifier(config).verify(`${h}.${evil}.${s}`))).toBe("ERR_TOKEN_SIGNATURE");
  });

  it("a truncated signature is a failed signature, not a crash", async () => {
    const [h, p, sig] = signed(claims()).split(".");
    const short = Buffer.from(sig, "base64url").subarray(0, 200).toString("base64url"); // canonical, 200 of 256 bytes
    expect(await codeOf(new TokenVerifier(config).verify(`${h}.${p}.${short}`))).toBe("ERR_TOKEN_SIGNATURE");
  });

  it("requires the issuer's typ when the policy names one (media-type prefix and case ignored, as RFC 7515 says)", async () => {
    const typed = compilePolicy(
      loadOk(filesInMemory(policyFor(server.issuer, "\n    tokenType: at+jwt"))),
      "dev",
    ).config;
    const v = new TokenVerifier(typed);
    expect(await codeOf(v.verify(signed(claims(), { alg: "RS256", kid: "k1", typ: "application/AT+JWT" })))).toBe("ok");
    expect(await codeOf(v.verify(signed(claims(), { alg: "RS256", kid: "k1", typ: "JWT" })))).toBe("ERR_TOKEN_TYPE");
    expect(await codeOf(v.verify(signed(claims(), { alg: "RS256", kid: "k1" })))).toBe("ERR_TOKEN_TYPE");
  });
});
