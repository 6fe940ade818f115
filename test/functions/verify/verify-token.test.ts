/**
 * The broker's token verification against a real HTTP key server: the hostile-token corpus, rotation, the kid
 * cool-down, JWKS outages, Easy Auth agreement and the verified-token cache.
 */
import { createHmac } from "node:crypto";
import { exportSPKI, importJWK, type KeyLike } from "jose";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import type { RuntimeConfig } from "../../../lib/policy/runtime/runtime-config";
import { TokenError, TokenVerifier, type TokenErrorCode } from "../../../functions-src/verify/verify-token";
import { filesInMemory, loadOk } from "../../policy/helpers";
import { KeyServer, makeKey, type TestKey } from "../../support/key-server";

const policyFor = (issuer: string) => `version: 1
issuers:
  idp:
    type: oidc
    issuer: ${issuer}
    audiences: [api://broker]
    algorithms: [RS256, ES256]
    clockTolerance: 30s
    requiredClaims: [tid]
    claims:
      sub: { type: string }
      tid: { type: string, pattern: "[a-z0-9-]{1,40}" }
      roles: { type: "string[]" }
resources: { cdn: { prefixes: { /files/: {} } } }
roles:
  member:
    when: { claim: roles, contains: member }
    grants: [{ cdn: { prefix: "/files/\${claims.tid}/", ttl: 10m } }]
environments: { dev: { stage: development } }
`;

let server: KeyServer;
let key: TestKey;
let config: RuntimeConfig;
const good = { sub: "alice", tid: "contoso", roles: ["member"], aud: "api://broker" };
const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

beforeAll(async () => {
  server = await new KeyServer().start();
  key = await makeKey("k1");
  server.keys = [key];
  config = compilePolicy(loadOk(filesInMemory(policyFor(server.issuer))), "dev").config;
});
afterAll(() => server.stop());

async function expectCode(p: Promise<unknown>, code: TokenErrorCode) {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenError);
  expect((error as TokenError).code).toBe(code);
  return error as TokenError;
}

describe("a valid token", () => {
  it("verifies through discovery + JWKS and returns the claims", async () => {
    const v = new TokenVerifier(config);
    const t = await v.verify(await server.sign(good));
    expect(t).toMatchObject({
      issuer: "idp",
      subject: "alice",
      claims: expect.objectContaining({ tid: "contoso", roles: ["member"] }),
    });
  });

  it("is cached by digest: a repeat verification fetches nothing and skips the signature check", async () => {
    const v = new TokenVerifier(config);
    const token = await server.sign(good);
    await v.verify(token);
    const fetches = v.fetchCount(server.issuer);
    const before = server.requests;
    await v.verify(token);
    expect(v.fetchCount(server.issuer)).toBe(fetches);
    expect(server.requests).toBe(before);
  });

  it("is not served from the cache past its exp", async () => {
    let now = Date.now();
    const v = new TokenVerifier(config, { now: () => now });
    const token = await server.sign(good, { exp: Math.floor(now / 1000) + 5 });
    await v.verify(token);
    now += 60_000; // beyond exp + 30 s tolerance
    await expectCode(v.verify(token), "ERR_TOKEN_EXPIRED");
  });
});

describe("hostile and broken tokens", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<string>, TokenErrorCode][] = [
    [
      "alg none",
      async () =>
        `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...good, iss: server.issuer, iat: now(), exp: now() + 60 })}.`,
      "ERR_TOKEN_MALFORMED",
    ],
    [
      "alg none with a fake signature",
      async () => `${b64({ alg: "none" })}.${b64({ ...good, iss: server.issuer, iat: now(), exp: now() + 60 })}.AAAA`,
      "ERR_TOKEN_ALGORITHM",
    ],
    [
      "HS256 signed with the issuer's public key",
      async () => {
        // The classic confusion attack: the public key's PEM used as an HMAC secret.
        const pem = await exportSPKI((await importJWK(key.publicJwk, "RS256")) as KeyLike);
        const unsigned = `${b64({ alg: "HS256", kid: "k1" })}.${b64({ ...good, iss: server.issuer, iat: now(), exp: now() + 60 })}`;
        return `${unsigned}.${createHmac("sha256", pem).update(unsigned).digest("base64url")}`;
      },
      "ERR_TOKEN_ALGORITHM",
    ],
    [
      "an algorithm the issuer does not allow (PS256)",
      async () => server.sign(good, { key: await makeKey("k1", "PS256") }),
      "ERR_TOKEN_ALGORITHM",
    ],
    ["an unknown kid", async () => server.sign(good, { key: await makeKey("nope") }), "ERR_TOKEN_SIGNATURE"],
    [
      "a known kid, signed with another key",
      async () => server.sign(good, { key: { ...(await makeKey("k1")), kid: "k1" } }),
      "ERR_TOKEN_SIGNATURE",
    ],
    [
      "jku header injection",
      async () => server.sign(good, { header: { jku: "https://evil.example/jwks" } }),
      "ERR_TOKEN_HEADER",
    ],
    [
      "x5u header injection",
      async () => server.sign(good, { header: { x5u: "https://evil.example/cert" } }),
      "ERR_TOKEN_HEADER",
    ],
    ["embedded jwk header", async () => server.sign(good, { header: { jwk: key.publicJwk } }), "ERR_TOKEN_HEADER"],
    [
      "crit header",
      async () =>
        server.signRaw(
          { alg: "RS256", kid: "k1", crit: ["urn:x"], "urn:x": 1 },
          { ...good, iss: server.issuer, iat: now(), exp: now() + 60 },
        ),
      "ERR_TOKEN_HEADER",
    ],
    ["wrong issuer", async () => server.sign({ ...good, iss: "https://evil.example" }), "ERR_TOKEN_UNTRUSTED_ISSUER"],
    [
      "issuer with a trailing slash",
      async () => server.sign({ ...good, iss: `${server.issuer}/` }),
      "ERR_TOKEN_UNTRUSTED_ISSUER",
    ],
    ["wrong audience", async () => server.sign({ ...good, aud: "api://other" }), "ERR_TOKEN_AUDIENCE"],
    [
      "expired beyond the tolerance",
      async () => server.sign(good, { iat: now() - 600, exp: now() - 31 }),
      "ERR_TOKEN_EXPIRED",
    ],
    ["nbf in the future", async () => server.sign({ ...good, nbf: now() + 120 }), "ERR_TOKEN_NOT_YET_VALID"],
    [
      "iat in the future",
      async () => server.sign(good, { iat: now() + 120, exp: now() + 600 }),
      "ERR_TOKEN_NOT_YET_VALID",
    ],
    [
      "no exp",
      async () => server.signRaw({ alg: "RS256", kid: "k1" }, { ...good, iss: server.issuer, iat: now() }),
      "ERR_TOKEN_CLAIMS",
    ],
    [
      "an audience list that does not include this broker",
      async () =>
        server.signRaw(
          { alg: "RS256", kid: "k1", typ: "JWT" },
          { ...good, iss: server.issuer, iat: now(), exp: now() + 60, aud: ["api://other"] },
        ),
      "ERR_TOKEN_AUDIENCE",
    ],
    [
      "missing subject",
      async () => server.sign({ tid: "contoso", aud: "api://broker", roles: ["member"] }),
      "ERR_TOKEN_CLAIMS",
    ],
    [
      "missing required claim tid",
      async () => server.sign({ sub: "alice", aud: "api://broker", roles: ["member"] }),
      "ERR_TOKEN_CLAIMS",
    ],
    [
      "a claim outside its declared pattern (tid with '/')",
      async () => server.sign({ ...good, tid: "contoso/../fabrikam" }),
      "ERR_TOKEN_CLAIMS",
    ],
    ["a list claim that is not a list", async () => server.sign({ ...good, roles: "member" }), "ERR_TOKEN_CLAIMS"],
    ["an empty subject", async () => server.sign({ ...good, sub: "" }), "ERR_TOKEN_CLAIMS"],
    ["oversized token", async () => server.sign({ ...good, padding: "x".repeat(9000) }), "ERR_TOKEN_TOO_LARGE"],
    ["malformed base64", async () => `${b64({ alg: "RS256" })}.not*base64.sig`, "ERR_TOKEN_MALFORMED"],
    ["non-canonical base64url", async () => `${b64({ alg: "RS256" })}=.${b64(good)}.sig`, "ERR_TOKEN_MALFORMED"],
    [
      "a valid signature respelled in its last character's unused low bits (issue 7.5)",
      async () => {
        const [h, p, sig] = (await server.sign(good)).split(".");
        return `${h}.${p}.${respellLastChar(sig)}`;
      },
      "ERR_TOKEN_MALFORMED",
    ],
    ["payload not JSON", async () => `${b64({ alg: "RS256", kid: "k1" })}.${b64("hello")}.sig`, "ERR_TOKEN_MALFORMED"],
    [
      "duplicate JSON keys in the payload",
      async () =>
        `${b64({ alg: "RS256", kid: "k1" })}.${b64(`{"sub":"alice","sub":"admin","iss":"${server.issuer}"}`)}.sig`,
      "ERR_TOKEN_MALFORMED",
    ],
    [
      "duplicate JSON keys in the header",
      async () => `${b64('{"alg":"RS256","alg":"none"}')}.${b64(good)}.sig`,
      "ERR_TOKEN_MALFORMED",
    ],
    ["a JWE (five parts)", async () => "a.b.c.d.e", "ERR_TOKEN_MALFORMED"],
    ["an empty string", async () => "", "ERR_TOKEN_MALFORMED"],
  ];

  it.each(cases)("%s is refused with its exact code", async (_name, make, code) => {
    const v = new TokenVerifier(config);
    const token = await make();
    const error = await expectCode(v.verify(token), code);
    // No message ever echoes the token or a claim value.
    expect(error.message).not.toContain(token.slice(0, 20) || "\u0000");
    expect(error.message).not.toMatch(/contoso|alice|admin/);
  });

  it("refuses a token whose subject disagrees with the Easy Auth principal header", async () => {
    const v = new TokenVerifier(config);
    const token = await server.sign(good);
    await expectCode(v.verify(token, { id: "mallory" }), "ERR_EASY_AUTH_MISMATCH");
    await expect(v.verify(token, { id: "alice" })).resolves.toMatchObject({ subject: "alice" });
    // And the cache does not bypass the check.
    await expectCode(v.verify(token, { id: "mallory" }), "ERR_EASY_AUTH_MISMATCH");
  });
});

describe("keys", () => {
  it("follows a key rotation at the issuer after the cool-down, and only fetches once per cool-down for unknown kids", async () => {
    let now = Date.now();
    const v = new TokenVerifier(config, { now: () => now, cooldownSeconds: 30 });
    await v.verify(await server.sign(good));
    const k2 = await makeKey("k2");
    server.keys = [k2, key];
    const rotated = await server.sign(good, { key: k2 });
    // Within the cool-down of the last fetch, an unknown kid does not trigger a fetch.
    const fetches = v.fetchCount(server.issuer);
    await expectCode(v.verify(rotated), "ERR_TOKEN_SIGNATURE");
    expect(v.fetchCount(server.issuer)).toBe(fetches);
    now += 31_000;
    await expect(v.verify(rotated)).resolves.toMatchObject({ subject: "alice" });
    expect(v.fetchCount(server.issuer)).toBe(fetches + 1);
    const forged = await server.sign(good, { key: await makeKey("forged") });
    await expectCode(v.verify(forged), "ERR_TOKEN_SIGNATURE");
    await expectCode(v.verify(await server.sign(good, { key: await makeKey("forged2") })), "ERR_TOKEN_SIGNATURE");
    expect(v.fetchCount(server.issuer)).toBe(fetches + 1);
    server.keys = [key];
  });

  it("issue 12: a header seen before is checked with the key it resolved to only while that key set is current", async () => {
    // The verifier remembers which key verified each header, to skip the resolver on the hot path. When the issuer
    // replaces the key behind the same kid, the next fetch must win: tokens of the new key verify, the old key's fail.
    let now = Date.now();
    const v = new TokenVerifier(config, { now: () => now, cacheSeconds: 60 });
    const first = await server.sign({ ...good, sub: "a1" });
    await v.verify(first);
    const reused = await makeKey("k1"); // the same kid, another key
    server.keys = [reused];
    const byNewKey = await server.sign({ ...good, sub: "a2" }, { key: reused });
    // Before the key set is refreshed, the remembered key is the issuer's key as far as the broker knows.
    await expectCode(v.verify(byNewKey), "ERR_TOKEN_SIGNATURE");
    now += 61_000; // past cacheSeconds: the next verification refreshes the key set
    await expect(v.verify(byNewKey)).resolves.toMatchObject({ subject: "a2" });
    await expectCode(v.verify(await server.sign({ ...good, sub: "a3" }, { key })), "ERR_TOKEN_SIGNATURE");
    // The same header text again, now with the refreshed key remembered.
    await expect(v.verify(await server.sign({ ...good, sub: "a4" }, { key: reused }))).resolves.toMatchObject({
      subject: "a4",
    });
    server.keys = [key];
  });

  it("keeps serving cached keys while the JWKS endpoint is down, and says so when it has none", async () => {
    let now = Date.now();
    const v = new TokenVerifier(config, { now: () => now, cacheSeconds: 60 });
    await v.verify(await server.sign(good));
    server.down = true;
    try {
      now += 120_000; // cache expired: a refresh is due and fails
      await expect(v.verify(await server.sign({ ...good, sub: "bob" }))).resolves.toMatchObject({ subject: "bob" });
      const cold = new TokenVerifier(config);
      await expectCode(cold.verify(await server.sign(good)), "ERR_KEYS_UNAVAILABLE");
    } finally {
      server.down = false;
    }
  });
});

/** Same signature bytes, another spelling: flip the unused low bits of the segment's last base64url character. */
function respellLastChar(segment: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const unusedBits = (6 * segment.length) % 8; // bits the last character carries beyond the decoded bytes
  const last = alphabet.indexOf(segment[segment.length - 1]);
  const respelled = segment.slice(0, -1) + alphabet[last ^ ((1 << unusedBits) - 1)];
  expect(Buffer.from(respelled, "base64url")).toEqual(Buffer.from(segment, "base64url"));
  expect(respelled).not.toBe(segment);
  return respelled;
}

describe("issue 7.5 hostile input: canonical base64url segments and the Easy Auth principal", () => {
  const principal = (claims: [string, string][], extra: Record<string, unknown> = {}) =>
    Buffer.from(
      JSON.stringify({ auth_typ: "idp", claims: claims.map(([typ, val]) => ({ typ, val })), ...extra }),
    ).toString("base64");
  const NAMEID = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";

  it("refuses a signature whose last character's unused low bits were changed (the token string differs, the bytes not)", async () => {
    const v = new TokenVerifier(config);
    const token = await server.sign(good);
    const [h, p, sig] = token.split(".");
    const respelled = `${h}.${p}.${respellLastChar(sig)}`;
    await expectCode(v.verify(respelled), "ERR_TOKEN_MALFORMED");
    // Also when the canonical spelling was verified (and cached) first.
    await expect(v.verify(token)).resolves.toMatchObject({ subject: "alice" });
    await expectCode(v.verify(respelled), "ERR_TOKEN_MALFORMED");
  });

  it("refuses a header or payload whose last character's unused low bits were changed", async () => {
    const v = new TokenVerifier(config);
    // Payload lengths vary; pad the subject until the payload's last character carries unused bits.
    let token = await server.sign(good);
    for (let i = 1; (6 * token.split(".")[1].length) % 8 === 0; i++)
      token = await server.sign({ ...good, pad: "x".repeat(i) });
    const [h, p, sig] = token.split(".");
    await expectCode(v.verify(`${h}.${respellLastChar(p)}.${sig}`), "ERR_TOKEN_MALFORMED");
  });

  const disagreeing: [string, (token: string) => { id?: string; principal?: string }][] = [
    [
      "a principal naming another subject",
      () => ({
        principal: principal([
          ["sub", "mallory"],
          ["iss", server.issuer],
        ]),
      }),
    ],
    ["a principal naming another subject (long claim type)", () => ({ principal: principal([[NAMEID, "mallory"]]) })],
    [
      "a principal naming another subject with a matching -ID header",
      () => ({ id: "alice", principal: principal([[NAMEID, "mallory"]]) }),
    ],
    [
      "a principal naming both subjects",
      () => ({
        principal: principal([
          ["sub", "alice"],
          [NAMEID, "mallory"],
        ]),
      }),
    ],
    [
      "a principal naming another issuer",
      () => ({
        principal: principal([
          ["sub", "alice"],
          ["iss", "https://evil.example"],
        ]),
      }),
    ],
    [
      "a principal naming another audience",
      () => ({
        principal: principal([
          ["sub", "alice"],
          ["aud", "api://other"],
        ]),
      }),
    ],
    [
      "a principal naming another tenant",
      () => ({
        principal: principal([
          ["sub", "alice"],
          ["tid", "fabrikam"],
        ]),
      }),
    ],
    [
      "a principal claiming a role the token lacks (issue 19)",
      () => ({
        principal: principal([
          ["sub", "alice"],
          ["roles", "member"],
          ["http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "admin"],
        ]),
      }),
    ],
    ["a principal that names no subject", () => ({ principal: principal([["iss", server.issuer]]) })],
    ["a principal that is not base64", () => ({ principal: "not base64!" })],
    [
      "a principal in non-canonical base64 (padding dropped)",
      () => {
        let padded = principal([["sub", "alice"]]);
        for (let i = 1; !padded.endsWith("="); i++) padded = principal([["sub", "alice"]], { pad: "x".repeat(i) });
        return { principal: padded.replace(/=+$/, "") };
      },
    ],
    ["a principal that is not JSON", () => ({ principal: Buffer.from("alice").toString("base64") })],
    [
      "a principal without a claims list",
      () => ({ principal: Buffer.from(JSON.stringify({ userId: "alice" })).toString("base64") }),
    ],
    [
      "a principal with duplicate keys",
      () => ({ principal: Buffer.from('{"claims":[],"claims":[{"typ":"sub","val":"alice"}]}').toString("base64") }),
    ],
    ["an -ID header naming another caller", () => ({ id: "mallory" })],
  ];

  it.each(disagreeing)(
    "refuses %s with ERR_EASY_AUTH_MISMATCH, also when the token is cached",
    async (_name, headers) => {
      const v = new TokenVerifier(config);
      const token = await server.sign(good);
      const h = headers(token);
      const error = await expectCode(v.verify(token, h), "ERR_EASY_AUTH_MISMATCH");
      expect(error.message).not.toMatch(/mallory|alice|fabrikam|evil/);
      await v.verify(token); // now cached
      await expectCode(v.verify(token, h), "ERR_EASY_AUTH_MISMATCH");
    },
  );

  it("accepts a principal that agrees with the token, in short or long claim types", async () => {
    const v = new TokenVerifier(config);
    const token = await server.sign(good);
    const agreeing = principal([
      ["sub", "alice"],
      [NAMEID, "alice"],
      ["iss", server.issuer],
      ["aud", "api://broker"],
      ["tid", "contoso"],
      ["roles", "member"],
      ["name", "Alice"],
    ]);
    await expect(v.verify(token, { id: "alice", principal: agreeing })).resolves.toMatchObject({ subject: "alice" });
    await expect(v.verify(token, { principal: principal([[NAMEID, "alice"]]) })).resolves.toMatchObject({
      subject: "alice",
    });
  });
});
