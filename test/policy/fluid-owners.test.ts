/**
 * Owner-scoped Fluid grants (issue 21): `documents: { owner: tenant | creator }` covers a document only through its
 * recorded owner, which the broker hands the evaluator; an unknown document is never covered.
 */
import { compilePolicy } from "../../lib/policy/authoring/compile";
import type { DocumentOwner } from "../../lib/policy/runtime/document-owner";
import { createEvaluator } from "../../lib/policy/runtime/evaluate";
import { diffPolicies, type PolicyDiff } from "../../lib/policy/review/diff";
import { explain, formatExplanation } from "../../lib/policy/review/explain";
import { runPolicyTests } from "../../lib/policy/review/policy-test";
import { diagnose, filesInMemory, loadOk } from "./helpers";

const policy = (owners = "{ owners: { tenant: tid } }", documents = "{ owner: tenant }") => `version: 1
issuers:
  idp: { type: oidc, issuer: https://idp.example, audiences: [api], algorithms: [RS256], claims: { sub: { type: string }, tid: { type: string }, roles: { type: "string[]" } } }
resources: { fluid: ${owners} }
roles:
  editor:
    when: { claim: roles, contains: editor }
    grants:
      - fluid: { documents: ${documents}, create: true, scopes: [doc:read, doc:write], ttl: 10m }
  author:
    when: { claim: roles, contains: author }
    grants:
      - fluid: { documents: { owner: creator }, scopes: [doc:read, doc:write], ttl: 10m }
environments: { dev: { stage: development } }
`;

const CONTOSO = "contoso";
const FABRIKAM = "fabrikam";
const owners = new Map<string, DocumentOwner>([
  ["contoso-note", { tenant: CONTOSO, creator: "alice", issuer: "idp" }],
  ["fabrikam-note", { tenant: FABRIKAM, creator: "fay", issuer: "idp" }],
]);
const evaluator = createEvaluator(compilePolicy(loadOk(filesInMemory(policy())), "dev").config);
const ask = (claims: Record<string, unknown>, documentId: string) =>
  evaluator.evaluate({ issuer: "idp", claims }, [{ type: "fluid", documentId }], owners);

test("an editor gets its own tenant's documents and is refused another tenant's, and unknown ones", () => {
  const bob = { sub: "bob", tid: CONTOSO, roles: ["editor"] };
  expect(ask(bob, "contoso-note").credentials).toMatchObject([{ documentId: "contoso-note", grant: "editor#0" }]);
  const fay = { sub: "fay", tid: FABRIKAM, roles: ["editor"] };
  expect(ask(fay, "contoso-note").denied).toEqual([
    {
      request: 0,
      type: "fluid",
      reason: "not-owned",
      message: "the document has no recorded owner in the caller's tenant",
    },
  ]);
  expect(ask(fay, "fabrikam-note").credentials).toHaveLength(1);
  expect(ask(bob, "never-registered").denied[0].reason).toBe("not-owned");
  // Without owner records (a broker that looked nothing up) nothing is covered: deny by default.
  expect(
    evaluator.evaluate({ issuer: "idp", claims: bob }, [{ type: "fluid", documentId: "contoso-note" }]).denied[0]
      .reason,
  ).toBe("not-owned");
});

test("`owner: creator` covers only the documents the caller created", () => {
  expect(ask({ sub: "alice", tid: CONTOSO, roles: ["author"] }, "contoso-note").credentials).toHaveLength(1);
  const other = ask({ sub: "bob", tid: CONTOSO, roles: ["author"] }, "contoso-note");
  expect(other.denied[0]).toMatchObject({
    reason: "not-owned",
    message: expect.stringContaining("created by someone else"),
  });
  // The same subject from another tenant is someone else.
  expect(ask({ sub: "alice", tid: FABRIKAM, roles: ["author"] }, "contoso-note").denied[0].reason).toBe("not-owned");
});

test("creating stays a grant of its own: owner scoping does not stop an editor from creating", () => {
  const d = evaluator.evaluate({ issuer: "idp", claims: { sub: "fay", tid: FABRIKAM, roles: ["editor"] } }, [
    { type: "fluid", create: true },
  ]);
  expect(d.credentials).toMatchObject([{ documentId: "", create: true }]);
});

test("the compiled grant says owner, and the resources name the tenant claim", () => {
  const { config } = compilePolicy(loadOk(filesInMemory(policy())), "dev");
  expect(config.resources.fluidOwners).toEqual({ tenantClaim: "tid" });
  expect(config.roles[0].grants[0]).toMatchObject({ type: "fluid", owner: "tenant" });
});

test("policy check: owner grants need resources.fluid.owners with a declared string claim", () => {
  expect(diagnose(filesInMemory(policy("{}"))).map((d) => [d.code, d.message])).toContainEqual([
    "E_UNKNOWN_RESOURCE",
    "documents by owner, but the policy records no owners",
  ]);
  expect(diagnose(filesInMemory(policy("{ owners: { tenant: org } }"))).map((d) => d.code)).toContain(
    "E_UNDECLARED_CLAIM",
  );
  expect(diagnose(filesInMemory(policy(undefined, "{ owner: everyone }"))).length).toBeGreaterThan(0);
});

describe("policy diff", () => {
  const compiled = (documents: string) => compilePolicy(loadOk(filesInMemory(policy(undefined, documents))), "dev");
  const diff = (base: string, head: string) =>
    diffPolicies(new Map([["dev", { base: compiled(base), head: compiled(head) }]]));
  const lines = (d: PolicyDiff) =>
    d.groups.flatMap((g) => g.changes.map((c) => `${c.scope}: ${c.direction}: ${c.text}`));

  test("`*` -> owner-scoped narrows; the reverse widens", () => {
    const narrowing = diff('"*"', "{ owner: tenant }");
    expect(narrowing.widens).toBe(false);
    expect(lines(narrowing)).toEqual([expect.stringMatching(/^role editor: narrows: .*Fluid documents `\*`/)]);
    const widening = diff("{ owner: tenant }", '"*"');
    expect(widening.widens).toBe(true);
    expect(lines(widening).join("\n")).toMatch(/role editor: widens: .*Fluid documents `\*`/);
  });

  test("tenant -> creator narrows", () => {
    const d = diff("{ owner: tenant }", "{ owner: creator }");
    expect(d.widens).toBe(false);
    expect(lines(d).join("\n")).toMatch(/narrows: .*owned by the caller's tenant/);
  });
});

test("explain says a document was granted by its owner tenant, and why another was denied", () => {
  const { config } = compilePolicy(loadOk(filesInMemory(policy())), "dev");
  const text = formatExplanation(
    explain(
      config,
      { issuer: "idp", claims: { sub: "bob", tid: CONTOSO, roles: ["editor"] } },
      [
        { type: "fluid", documentId: "contoso-note" },
        { type: "fluid", documentId: "fabrikam-note" },
      ],
      owners,
    ),
  );
  expect(text).toContain("request 0: granted by editor#0 (Fluid documents owned by the caller's tenant)");
  expect(text).toContain("request 1: denied (not-owned): the document has no recorded owner in the caller's tenant");
});

test("policy test: a test file names documents' owners, and cases expect not-owned", () => {
  const tests = `documents:
  contoso-note: { tenant: ${CONTOSO}, creator: alice }
cases:
  - name: Contoso's editor edits Contoso's note
    claims: { sub: bob, tid: ${CONTOSO}, roles: [editor] }
    requests: [{ type: fluid, documentId: contoso-note }]
    expect: { credentials: [{ type: fluid, documentId: contoso-note, scopes: [doc:read, doc:write], ttl: 600 }] }
  - name: Fabrikam's editor is refused it
    claims: { sub: fay, tid: ${FABRIKAM}, roles: [editor] }
    requests: [{ type: fluid, documentId: contoso-note }]
    expect: { denied: [{ request: 0, reason: not-owned }] }
`;
  const files = { ...filesInMemory(policy()), testFiles: ["mem/tests.yaml"] };
  const read = (name: string) => (name === "mem/tests.yaml" ? tests : policy());
  const report = runPolicyTests(loadOk({ ...files, read }));
  expect(report.results.map((r) => [r.name, r.passed, r.problems])).toEqual([
    ["Contoso's editor edits Contoso's note", true, []],
    ["Fabrikam's editor is refused it", true, []],
  ]);
});
