/**
 * Against a real OIDC issuer (oidc-provider on 127.0.0.1): persona tokens verify through discovery + JWKS and get the
 * roles the policy gives them; the issuer rotates its signing key mid-test and the broker follows.
 */
import { decodeProtectedHeader, type JWK } from "jose";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { createEvaluator } from "../../../lib/policy/runtime/evaluate";
import { TokenError, TokenVerifier } from "../../../functions-src/verify/verify-token";
import { filesInMemory, loadOk } from "../../policy/helpers";
import { OidcIssuer, privateJwk } from "../../../lib/local/oidc-issuer";

const personas = {
  "reader-1": { claims: { tid: "contoso", roles: ["Docs.Reader"] } },
  "editor-1": { claims: { tid: "contoso", roles: ["Docs.Editor"] } },
  "outsider-1": { claims: { tid: "fabrikam", roles: [] } },
};
const policy = (issuer: string) => `version: 1
issuers:
  local:
    type: oidc
    issuer: ${issuer}
    audiences: [api://broker]
    algorithms: [RS256]
    tokenType: at+jwt
    requiredClaims: [tid]
    claims:
      sub: { type: string }
      tid: { type: string, pattern: "[a-z0-9-]{1,40}" }
      roles: { type: "string[]" }
resources:
  cdn: { prefixes: { /tenants/: {} } }
roles:
  reader:
    when: { claim: roles, contains: Docs.Reader }
    grants: [{ cdn: { prefix: "/tenants/\${claims.tid}/", ttl: 10m } }]
  editor:
    when: { claim: roles, contains: Docs.Editor }
    inherits: [reader]
    grants: [{ cdn: { prefix: "/tenants/\${claims.tid}/drafts/", ttl: 5m } }]
environments: { dev: { stage: development } }
`;

const issuer = new OidcIssuer(personas, "api://broker");
let verifier: TokenVerifier;
let evaluator: ReturnType<typeof createEvaluator>;
let k1: JWK;

beforeAll(async () => {
  k1 = await privateJwk("k1");
  await issuer.start([k1]);
  const { config } = compilePolicy(loadOk(filesInMemory(policy(issuer.issuer))), "dev");
  verifier = new TokenVerifier(config, { cooldownSeconds: 0 });
  evaluator = createEvaluator(config);
}, 30_000);
afterAll(() => issuer.stop());

it("verifies each persona's token and gives it exactly its roles", async () => {
  const roles: Record<string, string[]> = {};
  for (const persona of Object.keys(personas)) {
    const token = await verifier.verify(await issuer.token(persona));
    expect(token.subject).toBe(persona);
    roles[persona] = evaluator.matchRoles({ issuer: token.issuer, claims: token.claims }).map((r) => r.name);
  }
  expect(roles).toEqual({ "reader-1": ["reader"], "editor-1": ["editor"], "outsider-1": [] });
  const editor = await verifier.verify(await issuer.token("editor-1"));
  const d = evaluator.evaluate({ issuer: editor.issuer, claims: editor.claims }, [
    { type: "cdn", path: "/tenants/contoso/drafts/a.md" },
    { type: "cdn", path: "/tenants/fabrikam/a.md" },
  ]);
  expect(d.credentials.map((c) => c.type === "cdn" && [c.path, c.ttlSeconds])).toEqual([
    ["/tenants/contoso/drafts/a.md", 300],
  ]);
  expect(d.denied.map((x) => x.reason)).toEqual(["not-granted"]);
});

it("follows a signing-key rotation at the issuer", async () => {
  const before = await issuer.token("reader-1");
  expect(decodeProtectedHeader(before).kid).toBe("k1");
  await verifier.verify(before);
  // Rotate: the new key signs, the old one stays published for tokens already issued.
  const k2 = await privateJwk("k2");
  await issuer.start([k2, k1]);
  const after = await issuer.token("reader-1");
  expect(decodeProtectedHeader(after).kid).toBe("k2");
  await expect(verifier.verify(after)).resolves.toMatchObject({ subject: "reader-1" });
  await expect(verifier.verify(before)).resolves.toMatchObject({ subject: "reader-1" });
  // Retire the old key: a broker that has not verified the old token before now refuses it.
  await issuer.start([k2]);
  const fresh = new TokenVerifier(compilePolicy(loadOk(filesInMemory(policy(issuer.issuer))), "dev").config);
  await expect(fresh.verify(before)).rejects.toMatchObject({ code: "ERR_TOKEN_SIGNATURE" });
  await expect(fresh.verify(after)).resolves.toMatchObject({ subject: "reader-1" });
}, 30_000);

it("refuses the issuer's tokens minted for another audience", async () => {
  const other = new OidcIssuer(personas, "api://someone-else");
  await other.start([await privateJwk("k1")]);
  try {
    const { config } = compilePolicy(loadOk(filesInMemory(policy(other.issuer))), "dev");
    await expect(new TokenVerifier(config).verify(await other.token("reader-1"))).rejects.toBeInstanceOf(TokenError);
    await expect(new TokenVerifier(config).verify(await other.token("reader-1"))).rejects.toMatchObject({
      code: "ERR_TOKEN_AUDIENCE",
    });
  } finally {
    await other.stop();
  }
}, 30_000);
