/**
 * Which app roles an environment's API registration needs: every value a condition tests on the `roles` claim of an
 * Entra issuer, per environment (stages and issuer restrictions respected), and a clear error where no exact value
 * exists or where the bootstrap could not hand the client id back as the audience.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AppRoleDerivationError, entraApiNeeds } from "../../lib/policy/authoring/entra-app-roles";
import { filesOnDisk } from "../../lib/policy/authoring/policy-files";
import { example, EXAMPLE_DIR, loadOk } from "./helpers";

const examplePolicy = () => readFileSync(join(EXAMPLE_DIR, "policy.yaml"), "utf8");
function withPolicy(text: string) {
  const real = filesOnDisk(EXAMPLE_DIR);
  return loadOk({ ...real, read: (f: string) => (f.endsWith("policy.yaml") ? text : readFileSync(f, "utf8")) });
}
const values = (entry: string, bundle = example()) =>
  entraApiNeeds(bundle)
    .find((n) => n.entry === entry)!
    .appRoles.map((r) => r.value);

it("the example: three roles in every deployable environment; `local` (deploy: false, its own issuer) has none", () => {
  const needs = entraApiNeeds(example());
  expect(needs.map((n) => n.entry)).toEqual(["dev", "prod", "pr"]);
  for (const n of needs) {
    expect(n.appRoles).toEqual([
      { value: "Docs.Admin", policyRoles: ["admin"] },
      { value: "Docs.Editor", policyRoles: ["editor"] },
      { value: "Docs.Reader", policyRoles: ["reader"] },
    ]);
    expect(n.accessTokenVersion).toBe(2);
  }
  expect(needs.find((n) => n.entry === "prod")!.tenants).toEqual(["6a1b2c3d-0000-4000-8000-00000000f001"]);
});

it("a production-only role's value is an app role in production only", () => {
  const text = examplePolicy().replace(
    'when: { claim: groups, contains: "${env.supportGroupId}" }',
    "when: { claim: roles, contains: Docs.Support }",
  );
  const bundle = withPolicy(text);
  expect(values("prod", bundle)).toContain("Docs.Support");
  expect(values("dev", bundle)).not.toContain("Docs.Support");
  expect(values("pr", bundle)).not.toContain("Docs.Support");
});

it("a role restricted to a non-Entra issuer adds no app role", () => {
  const text = examplePolicy().replace(
    "    when: { claim: roles, contains: Docs.Admin }",
    "    issuers: [local]\n    when: { claim: roles, contains: Docs.Admin }",
  );
  expect(values("dev", withPolicy(text))).toEqual(["Docs.Editor", "Docs.Reader"]);
});

it("an Entra audience other than ${env.apiAudience} is refused: the client id could not be handed back", () => {
  const text = examplePolicy().replace(
    'audiences: ["${env.apiAudience}"]\n    algorithms: [RS256]\n    clockTolerance: 60s\n    subject: oid\n    requiredClaims: [oid, tid]\n    claims:\n      oid: { type: string, format: uuid }\n      tid: { type: string, format: uuid }\n      name: { type: string }\n      roles: { type: "string[]" }\n      groups: { type: "string[]" }\n\n  # The local',
    'audiences: ["6a1b2c3d-0000-4000-8000-00000000d0c1"]\n    algorithms: [RS256]\n    clockTolerance: 60s\n    subject: oid\n    requiredClaims: [oid, tid]\n    claims:\n      oid: { type: string, format: uuid }\n      tid: { type: string, format: uuid }\n      name: { type: string }\n      roles: { type: "string[]" }\n      groups: { type: "string[]" }\n\n  # The local',
  );
  expect(text).not.toBe(examplePolicy());
  expect(() => entraApiNeeds(withPolicy(text))).toThrow(AppRoleDerivationError);
  expect(() => entraApiNeeds(withPolicy(text))).toThrow(
    /issuer 'entra'.*audiences must be \["\$\{env\.apiAudience\}"\]/,
  );
});

it("a prefix test on a string-typed roles claim names no value: refused, naming the role and the operator", () => {
  const text = examplePolicy()
    .replaceAll('roles: { type: "string[]" }', "roles: { type: string }")
    .replace("contains: Docs.Reader }", "prefix: Docs. }")
    .replace("contains: Docs.Editor }", "equals: Docs.Editor }")
    .replace("contains: Docs.Admin }", "equals: Docs.Admin }");
  expect(() => entraApiNeeds(withPolicy(text))).toThrow(
    /role 'reader' \(environment dev\) tests the roles claim with 'prefix'/,
  );
});
