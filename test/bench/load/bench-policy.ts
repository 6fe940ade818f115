/** The policy the load and soak benchmarks run: one issuer (ES256/EdDSA/RS256), Fluid for every editor. */
export const loadPolicy = (issuer: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: ${issuer}, audiences: [api://broker], algorithms: [ES256, EdDSA, RS256], claims: { sub: { type: string }, roles: { type: "string[]" } } }
resources: { fluid: {} }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants:
      - fluid: { documents: "*", scopes: [doc:read, doc:write], ttl: 1h }
environments: { bench: { stage: development } }
`;

/** JWS signing straight through node:crypto, for many distinct tokens in seconds. */
import { sign, type KeyObject } from "node:crypto";
export function tokenSigner(privateKey: KeyObject, alg: "ES256" | "EdDSA", kid: string, issuer: string) {
  const header = Buffer.from(JSON.stringify({ alg, kid, typ: "JWT" })).toString("base64url");
  return (sub: string) => {
    const now = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(
      JSON.stringify({ iss: issuer, aud: "api://broker", sub, roles: ["editor"], iat: now, exp: now + 3600 }),
    ).toString("base64url");
    const input = Buffer.from(`${header}.${payload}`);
    const sig =
      alg === "ES256"
        ? sign("sha256", input, { key: privateKey, dsaEncoding: "ieee-p1363" })
        : sign(null, input, privateKey);
    return `${header}.${payload}.${sig.toString("base64url")}`;
  };
}
