/**
 * The `local` environment of `npm run dev`: its issuer is the local OIDC issuer, trusted there only
 * (`issuers.local.environments: [local]`). Production must provably never trust it.
 */
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { compileExample, diagnose, example, filesInMemory } from "./helpers";

const LOOPBACK = /^http:|\/\/(127\.|localhost|\[::1\])/;

describe("the local environment", () => {
  it("trusts the local OIDC issuer and nothing else", () => {
    const { config } = compileExample("local");
    expect(config.environment).toEqual({ name: "local", stage: "development" });
    expect(config.issuers.map((i) => [i.name, i.issuers])).toEqual([["local", ["http://127.0.0.1:7071"]]]);
    expect(config.issuers[0]).toMatchObject({
      audiences: ["api://token-broker-local"],
      subjectClaim: "oid",
      algorithms: ["RS256"],
    });
    // support is a production-only role: the support persona gets nothing locally.
    expect(config.roles.map((r) => r.name)).toEqual(["reader", "editor", "admin"]);
  });

  it("prod (and every deployed environment) trusts no loopback, no plain-http and no `local` issuer", () => {
    for (const env of ["prod", "dev", "pr-1"]) {
      const { config, infra } = compileExample(env);
      const urls = config.issuers.flatMap((i) => [...i.issuers, ...i.discovery]);
      expect(urls.length).toBeGreaterThan(0);
      expect(urls.filter((u) => LOOPBACK.test(u))).toEqual([]);
      expect(config.issuers.map((i) => i.name)).not.toContain("local");
      expect(infra.issuers.map((i) => i.name)).not.toContain("local");
      expect(JSON.stringify(config)).not.toContain("127.0.0.1");
    }
    expect(compileExample("prod").config.issuers.map((i) => i.issuers)).toEqual([
      ["https://login.microsoftonline.com/6a1b2c3d-0000-4000-8000-00000000f001/v2.0"],
    ]);
  });

  it("a new port for the local issuer changes the local config only", () => {
    const bundle = example();
    const local = bundle.environments.entries.local;
    const moved = {
      ...bundle,
      environments: {
        ...bundle.environments,
        entries: {
          ...bundle.environments.entries,
          local: { ...local, values: { ...local.values, localIssuer: "http://127.0.0.1:9999" } },
        },
      },
    };
    expect(compilePolicy(moved, "local").config.issuers[0].issuers).toEqual(["http://127.0.0.1:9999"]);
    expect(compilePolicy(moved, "prod").config).toEqual(compileExample("prod").config);
  });

  it("an issuer's ${env.x} values are needed only where the issuer is trusted", () => {
    const policy = (limit: string) => `version: 1
issuers:
  idp:
    type: oidc
    ${limit}
    issuer: "\${env.idpUrl}"
    audiences: [api://docs]
    claims: { sub: { type: string }, roles: { type: "string[]" } }
resources: { fluid: {} }
roles:
  r: { when: { claim: roles, contains: x }, grants: [{ fluid: { documents: "*", scopes: [doc:read], ttl: 5m } }] }
environments:
  local: { stage: development, values: { idpUrl: "http://127.0.0.1:7071" } }
  prod: { stage: production }
`;
    expect(diagnose(filesInMemory(policy("environments: [local]")))).toEqual([]);
    const everywhere = diagnose(filesInMemory(policy("algorithms: [RS256]")));
    expect(everywhere.map((d) => [d.code, d.line, d.column, d.message])).toContainEqual([
      "E_ENV_VALUE",
      6,
      14,
      "'${env.idpUrl}' is not defined for environment 'prod'",
    ]);
  });
});
