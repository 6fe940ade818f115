/** Shared by the fault tests: a broker core over a real key server, with an audit log the test reads. */
import type { AuditRecord } from "../../../functions-src/audit";
import { createBroker, type BrokerDeps } from "../../../functions-src/core";
import type { Minters } from "../../../functions-src/mint/minter";
import { TokenVerifier, type VerifierOptions } from "../../../functions-src/verify/verify-token";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { filesInMemory, loadOk } from "../../policy/helpers";

export const policyFor = (issuer: string, tolerance = "30s") => `version: 1
issuers:
  idp:
    type: oidc
    issuer: ${issuer}
    audiences: [api://broker]
    algorithms: [RS256]
    clockTolerance: ${tolerance}
    claims: { sub: { type: string }, roles: { type: "string[]" } }
resources:
  fluid: {}
  cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } }
  cdn: { prefixes: { /files/: {} } }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants:
      - fluid: { documents: "*", scopes: [doc:read, doc:write], ttl: 10m }
      - cosmos: { container: items, partitionKey: "\${claims.sub}", access: all, ttl: 1h }
      - cdn: { prefix: "/files/", ttl: 10m }
environments: { dev: { stage: development } }
`;

type Options = { verifierOptions?: VerifierOptions; tolerance?: string } & Omit<
  Partial<BrokerDeps>,
  "verifier" | "config"
>;

export function brokerFor(issuer: string, minters: Minters, options: Options = {}) {
  const { verifierOptions, tolerance, ...deps } = options;
  const { config } = compilePolicy(loadOk(filesInMemory(policyFor(issuer, tolerance))), "dev");
  const audit: AuditRecord[] = [];
  const verifier = new TokenVerifier(config, verifierOptions);
  const core = createBroker({ config, verifier, minters, audit: (r) => audit.push(r), ...deps });
  const exchange = async (token: string, requests: unknown[] = [{ type: "fluid", documentId: "doc-1" }]) => {
    const r = await core.handle({
      method: "POST",
      path: "/api/token",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ requests }),
    });
    return { status: r.status, headers: r.headers, body: JSON.parse(r.body) as Record<string, any> };
  };
  return { core, verifier, audit, exchange };
}

export const FLUID = {
  tenantId: "local",
  endpoint: "http://127.0.0.1:1",
  key1: "fluid-key-one",
  key2: "fluid-key-two",
  active: "key1" as "key1" | "key2",
};
