/**
 * Issue 19, class 6, generatively: replay may say "no recorded caller would gain" only when it is true. Records are
 * made by the broker's own record keeping (functions-src/audit-claims.ts) from full token claims; the oracle is the
 * runtime evaluator over those full claims, which replay never sees. A head adds a role reading any declared claim
 * (one the base reads, or one it never read) with any operator; whenever replay reports neither a gain nor a role it
 * cannot decide, no caller may truly gain.
 */
import fc from "fast-check";
import { createAuditClaims } from "../../../functions-src/audit-claims";
import { compilePolicy } from "../../../lib/policy/authoring/compile";
import { replayText } from "../../../lib/policy/review/replay";
import { parseAccessRequests } from "../../../lib/policy/runtime/access-request";
import { createEvaluator, type GrantedCredential } from "../../../lib/policy/runtime/evaluate";
import { filesInMemory, loadOk } from "../helpers";

const policy = (extraRole: string) => `version: 1
issuers:
  idp:
    type: oidc
    issuer: https://idp.example
    audiences: [api://broker]
    claims:
      sub: { type: string }
      tid: { type: string, pattern: "^[a-z0-9]{1,40}$" }
      roles: { type: "string[]" }
      groups: { type: "string[]" }
      dept: { type: string }
      level: { type: number }
resources:
  fluid: {}
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants:
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read, doc:write], ttl: 10m }
  viewer:
    when: { claim: roles, contains: viewer }
    grants:
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read], ttl: 10m }
${extraRole}
environments: { dev: { stage: development } }
`;

// Conditions a new head role may have: on claims the base reads (roles) and on claims it never read.
const CONDITIONS = [
  "{ claim: roles, contains: other }",
  "{ claim: groups, contains: g1 }",
  "{ claim: groups, exists: true }",
  "{ claim: dept, equals: d1 }",
  "{ claim: dept, prefix: d }",
  "{ claim: level, in: [2, 3] }",
  "{ not: { claim: dept, equals: e2 } }",
  "{ all: [{ claim: roles, contains: viewer }, { claim: groups, contains: g2 }] }",
];

const caller = fc.record(
  {
    sub: fc.constantFrom("u1", "u2", "u3", "u4"),
    tid: fc.constant("contoso"),
    roles: fc.subarray(["editor", "viewer", "other"]),
    groups: fc.subarray(["g1", "g2"]),
    dept: fc.constantFrom("d1", "e2"),
    level: fc.integer({ min: 1, max: 3 }),
  },
  { requiredKeys: ["sub", "tid"] },
);
const asked = fc.constantFrom<unknown>(
  { type: "fluid", documentId: "contoso-a" },
  { type: "fluid", documentId: "contoso-b", scopes: ["doc:read", "doc:write"] },
);

const gains = (before: GrantedCredential | undefined, after: GrantedCredential | undefined) =>
  after !== undefined &&
  after.type === "fluid" &&
  (before === undefined ||
    (before.type === "fluid" && (after.scopes.length > before.scopes.length || after.ttlSeconds > before.ttlSeconds)));

describe("issue 19.6: replay's 'nobody gains' against the full-claims oracle", () => {
  const base = loadOk(filesInMemory(policy("")));
  const baseConfig = compilePolicy(base, "dev").config;
  const keep = createAuditClaims(baseConfig);

  it("whenever replay reports no gain and no undecided role, no caller truly gains (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CONDITIONS),
        fc.array(fc.tuple(caller, asked), { minLength: 1, maxLength: 12 }),
        (condition, exchanges) => {
          const head = loadOk(
            filesInMemory(
              policy(`  added:
    when: ${condition}
    grants:
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read, doc:write, summary:write], ttl: 30m }`),
            ),
          );
          const before = createEvaluator(baseConfig);
          const after = createEvaluator(compilePolicy(head, "dev").config);
          let truth = false;
          const lines = exchanges.map(([claims, request]) => {
            const [req] = parseAccessRequests({ requests: [request] });
            const identity = { issuer: "idp", claims };
            const b = before.evaluate(identity, [req]).credentials[0];
            const a = after.evaluate(identity, [req]).credentials[0];
            truth ||= gains(b, a);
            const { claims: kept } = keep(claims);
            return JSON.stringify({
              audit: {
                event: "issued",
                policy: baseConfig.policyHash,
                subject: claims.sub,
                issuer: "idp",
                claims: kept,
                asked: req,
              },
            });
          });
          const report = replayText(lines.join("\n"), base, head);
          const undecided = (report as { cannotTell?: unknown[] }).cannotTell ?? [];
          if (report.gains.length === 0 && undecided.length === 0)
            expect([condition, truth]).toEqual([condition, false]);
        },
      ),
      { numRuns: 150, seed: 196 },
    );
  });
});
