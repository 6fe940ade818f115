/**
 * Issue 22 items 5 and 6: what an Entra issuer accepts per token version, and CDN referrer rules against the
 * environments' allowedOrigins. Sources: learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 * (`aud`, `iss`, `ver`), .../access-tokens (v1.0 issuer and metadata), MDN Referrer-Policy (cross-origin default).
 */
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { referrerMatchesOrigin, referrersFromOrigins } from "../../lib/policy/authoring/edge-referrers";
import { diagnose, filesInMemory, loadOk } from "./helpers";

const TENANT = "0b5e3a10-0000-4000-8000-0000000000aa";
const CLIENT_ID = "0b5e3a10-0000-4000-8000-0000000000c1";

const policy = (issuerExtra: string, audience: string, edge = "countries: { deny: [KP] }", origins = "") => `version: 1
issuers:
  corp:
    type: entra
    tenants: ["\${env.tenantId}"]
${issuerExtra}    audiences: ["${audience}"]
    claims: { oid: { type: string }, roles: { type: "string[]" } }
    subject: oid
resources:
  cdn:
    prefixes:
      /tenants/:
        edge: { ${edge} }
roles:
  reader:
    when: { claim: roles, contains: reader }
    grants: [{ cdn: { prefix: /tenants/, ttl: 15m } }]
environments:
  dev: { stage: development, ${origins}values: { tenantId: ${TENANT} } }
`;
const codes = (text: string) =>
  diagnose(filesInMemory(text)).map((d) => `${d.severity} ${d.code} ${d.line}:${d.column}`);

describe("Entra token versions (item 5)", () => {
  it("defaults to v2.0: the v2.0 issuer and metadata, and the client id as audience, with no warning", () => {
    const { config } = compilePolicy(loadOk(filesInMemory(policy("", CLIENT_ID))), "dev");
    expect(config.issuers[0]).toMatchObject({
      issuers: [`https://login.microsoftonline.com/${TENANT}/v2.0`],
      discovery: [`https://login.microsoftonline.com/${TENANT}/v2.0/.well-known/openid-configuration`],
      audiences: [CLIENT_ID],
    });
  });

  it("warns, at the audience, that a v2.0-only issuer can never see an api:// audience", () => {
    expect(codes(policy("", "api://docs"))).toEqual(["warning W_ENTRA_AUDIENCE 6:17"]);
    expect(codes(policy("    tokenVersion: 2\n", "api://docs"))).toEqual(["warning W_ENTRA_AUDIENCE 7:17"]);
  });

  it("tokenVersion 1: the v1.0 issuer https://sts.windows.net/<tenant>/ with the v1.0 metadata document", () => {
    const text = policy("    tokenVersion: 1\n", "api://docs");
    expect(codes(text)).toEqual([]); // a v1.0 token may carry the App ID URI the client asked for
    const { config } = compilePolicy(loadOk(filesInMemory(text)), "dev");
    expect(config.issuers[0]).toMatchObject({
      issuers: [`https://sts.windows.net/${TENANT}/`],
      discovery: [`https://login.microsoftonline.com/${TENANT}/.well-known/openid-configuration`],
    });
  });

  it("tokenVersion [1, 2]: both issuers per tenant, deliberately", () => {
    const { config } = compilePolicy(loadOk(filesInMemory(policy("    tokenVersion: [2, 1]\n", CLIENT_ID))), "dev");
    expect(config.issuers[0].issuers).toEqual([
      `https://sts.windows.net/${TENANT}/`,
      `https://login.microsoftonline.com/${TENANT}/v2.0`,
    ]);
  });

  it("tokenVersion is for Entra issuers only; other values are schema errors", () => {
    const oidc = policy("    tokenVersion: 2\n", CLIENT_ID)
      .replace("type: entra", "type: oidc")
      .replace(`tenants: ["\${env.tenantId}"]`, "issuer: https://login.example.com");
    expect(codes(oidc)).toEqual(["error E_ISSUER_FIELDS 6:5"]);
    expect(codes(policy("    tokenVersion: 3\n", CLIENT_ID))[0]).toMatch(/^error E_SCHEMA 6:/);
  });
});

describe("CDN referrers against allowedOrigins (item 6)", () => {
  const origins = "allowedOrigins: [https://docs.contoso.com, 'http://localhost:*'], ";

  it("matches the Referer a browser sends cross-origin: the origin and a slash, never a path", () => {
    expect(referrerMatchesOrigin("https://docs.contoso.com/", "https://docs.contoso.com")).toBe(true);
    expect(referrerMatchesOrigin("https://DOCS.contoso.com", "https://docs.contoso.com")).toBe(true);
    expect(referrerMatchesOrigin("https://docs.contoso.com/app/", "https://docs.contoso.com")).toBe(false);
    expect(referrerMatchesOrigin("https://docs.example.com/", "https://docs.contoso.com")).toBe(false);
    expect(referrerMatchesOrigin("http://localhost:7070/", "http://localhost:*")).toBe(true);
    expect(referrerMatchesOrigin("http://localhost:", "http://localhost:*")).toBe(true);
    expect(referrerMatchesOrigin("http://localhost:7070/x/", "http://localhost:*")).toBe(false);
    expect(referrersFromOrigins(["https://Docs.contoso.com", "http://localhost:*"])).toEqual([
      "https://docs.contoso.com/",
      "http://localhost:",
    ]);
  });

  it("warns where a literal allow list misses an allowed origin, and where no Referer is refused unacknowledged", () => {
    const wrong = 'referrers: { allow: ["https://docs.example.com/"], withoutReferer: refuse }';
    expect(codes(policy("", CLIENT_ID, wrong, origins))).toEqual(["warning W_EDGE_REFERRER_ORIGIN 13:37"]);
    const right = 'referrers: { allow: ["https://docs.contoso.com/", "http://localhost:"], withoutReferer: refuse }';
    expect(codes(policy("", CLIENT_ID, right, origins))).toEqual([]);
    expect(codes(policy("", CLIENT_ID, "referrers: { allow: origins }", origins))).toEqual([
      "warning W_EDGE_REFERRER_REQUIRED 13:30",
    ]);
    expect(codes(policy("", CLIENT_ID, "referrers: { deny: ['https://x.example/'], withoutReferer: refuse }"))).toEqual(
      ["error E_EDGE_REFERRER 13:60"],
    );
  });

  it("allow: origins compiles per environment, and is an error where an environment allows no origin", () => {
    const edge = "referrers: { allow: origins, withoutReferer: refuse }";
    const { infra } = compilePolicy(loadOk(filesInMemory(policy("", CLIENT_ID, edge, origins))), "dev");
    expect(infra.cdn!.prefixes[0].edge!.referrers).toEqual({
      allow: ["https://docs.contoso.com/", "http://localhost:"],
    });
    expect(codes(policy("", CLIENT_ID, edge))).toEqual(["error E_EDGE_REFERRER 13:37"]);
  });
});
