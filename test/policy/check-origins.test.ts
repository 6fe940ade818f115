/**
 * Allowed web origins (CORS) per environment: the schema fixes their form, the semantic check what each stage
 * permits (http and port patterns only in development and ephemeral stages), with the file position and a fix.
 */
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { diagnose, example, filesInMemory, loadOk } from "./helpers";

const policy = (envs: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: https://idp.example.com, audiences: [api://broker], claims: { sub: { type: string } } }
resources: { fluid: {} }
roles:
  r: { when: { claim: sub, exists: true }, grants: [{ fluid: { documents: "*", scopes: [doc:read], ttl: 10m } }] }
environments:
${envs}
`;
const problems = (envs: string) =>
  diagnose(filesInMemory(policy(envs))).map((d) => ({ code: d.code, line: d.line, message: d.message }));

it("development and ephemeral stages may list http origins and loopback port patterns", () => {
  expect(
    problems(`  dev: { stage: development, allowedOrigins: ["http://localhost:*", "http://127.0.0.1:5173", "https://dev.contoso.com"] }
  pr: { stage: ephemeral, allowedOrigins: ["http://localhost:*"] }`),
  ).toEqual([]);
});

it("production refuses an http origin and a port pattern, naming the line and the fix", () => {
  const found = diagnose(
    filesInMemory(
      policy(`  prod:
    stage: production
    allowedOrigins:
      - https://app.contoso.com
      - http://app.contoso.com
      - http://localhost:*`),
    ),
  );
  expect(found.map((d) => [d.code, d.line])).toEqual([
    ["E_ORIGIN", 12],
    ["E_ORIGIN", 13],
  ]);
  expect(found[0].hint).toContain("https://app.contoso.com");
});

it.each([
  ["*"],
  ["https://*.contoso.com"],
  ["https://app.contoso.com/"],
  ["https://App.contoso.com"],
  ["https://app.contoso.com/path"],
  ["http://evil.com:*"],
  ["ftp://x.com"],
])("the schema refuses %s as an origin", (origin) => {
  expect(problems(`  dev: { stage: development, allowedOrigins: ["${origin}"] }`).map((p) => p.code)).toEqual([
    "E_SCHEMA",
  ]);
});

it("the origins reach the runtime config and the infra needs; none means no cors section (hash unchanged)", () => {
  const withOrigins = compilePolicy(
    loadOk(filesInMemory(policy(`  dev: { stage: development, allowedOrigins: ["https://a.example"] }`))),
    "dev",
  );
  expect(withOrigins.config.cors).toEqual({ allowedOrigins: ["https://a.example"] });
  expect(withOrigins.infra.allowedOrigins).toEqual(["https://a.example"]);
  const without = compilePolicy(loadOk(filesInMemory(policy(`  dev: { stage: development }`))), "dev");
  expect(without.config.cors).toBeUndefined();
  expect(without.infra.allowedOrigins).toEqual([]);
  expect(without.config.policyHash).not.toBe(withOrigins.config.policyHash);
});

it("the example's environments list origins and check clean", () => {
  const envs = example().environments.entries;
  for (const name of ["dev", "prod", "pr"]) expect(envs[name].allowedOrigins?.length).toBeGreaterThan(0);
});
