/**
 * Issue 7, item 1: a template whose placeholder's end is not fixed lets one caller reach another caller's resources
 * (`${claims.tid}-*` with tid `contoso` covers `contoso-evil-doc1`, a document of tenant `contoso-evil`).
 * The check must refuse what it cannot prove unambiguous; the evaluator refuses such values at run time anyway.
 */
import { parseAtoms, claimShape } from "../../lib/policy/authoring/claim-shape";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { loadPolicy } from "../../lib/policy/authoring/load";
import { createEvaluator } from "../../lib/policy/runtime/evaluate";
import { diagnose, filesInMemory } from "./helpers";

function policy(tid: string, grants: string, extraClaims = "team: { type: string }"): string {
  return `version: 1
issuers:
  idp:
    type: oidc
    issuer: https://idp.example.com
    audiences: [api]
    claims:
      sub: { type: string }
      tid: ${tid}
      ${extraClaims}
      roles: { type: "string[]" }
resources:
  cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } }
  fluid: {}
  cdn: { prefixes: { /tenants/: {} } }
roles:
  member:
    when: { claim: roles, contains: member }
    grants:
      - ${grants}
environments: { dev: { stage: development, values: { suffix: x } } }
`;
}

const ambiguities = (text: string) => diagnose(filesInMemory(text)).filter((d) => d.code === "E_TEMPLATE_AMBIGUOUS");
const PLAIN = "{ type: string }";

describe("issue 7.1 template collisions", () => {
  it("refuses ${claims.tid}-* when tid may hold '-', at the placeholder, with two colliding values and the fix", () => {
    const found = ambiguities(policy(PLAIN, 'fluid: { documents: "${claims.tid}-*", scopes: [doc:read], ttl: 1h }'));
    expect(found).toHaveLength(1);
    const d = found[0];
    // Line 20 is the grant; '${' is at column 30 ('      - fluid: { documents: "' is 29 characters).
    expect({ file: d.file, line: d.line, column: d.column }).toEqual({ file: "mem/policy.yaml", line: 20, column: 30 });
    expect(d.message).toBe(
      "claim 'tid' (a plain string) may contain '-', the separator after ${claims.tid}, so where its value ends is not fixed: " +
        "tid 'contoso' and tid 'contoso-evil' both reach 'contoso-evil-doc1'",
    );
    expect(d.hint).toContain("declare 'tid' with a pattern that excludes '-'");
    expect(d.hint).toContain("format: uuid");
  });

  it("refuses a declared pattern that admits the separator, and accepts one that excludes it", () => {
    const grant = 'fluid: { documents: "${claims.tid}-*", scopes: [doc:read], ttl: 1h }';
    expect(ambiguities(policy('{ type: string, pattern: "[a-z0-9-]{1,36}" }', grant))).toHaveLength(1);
    expect(ambiguities(policy('{ type: string, pattern: "^[a-z0-9]{1,36}$" }', grant))).toEqual([]);
    expect(ambiguities(policy('{ type: string, pattern: "[a-z][a-z0-9_]*" }', grant))).toEqual([]);
    // Alternation is beyond the conservative reader: refused though this one happens to be safe.
    expect(ambiguities(policy('{ type: string, pattern: "a|b" }', grant))).toHaveLength(1);
  });

  it("accepts a fixed length: format uuid, a {32} hex pattern, or an enum of equal lengths", () => {
    const grant = 'fluid: { documents: "${claims.tid}-*", scopes: [doc:read], ttl: 1h }';
    expect(ambiguities(policy("{ type: string, format: uuid }", grant))).toEqual([]);
    expect(ambiguities(policy('{ type: string, pattern: "^[0-9a-f]{32}$" }', grant))).toEqual([]);
    expect(ambiguities(policy("{ type: string, enum: [ab-c, de-f] }", grant))).toEqual([]);
    expect(ambiguities(policy("{ type: string, enum: [a, a-b] }", grant))[0].message).toContain(
      "tid 'a' and tid 'a-b' both reach 'a-b-doc1'",
    );
  });

  it("refuses a placeholder after a '*' (its start is not fixed)", () => {
    const found = ambiguities(
      policy(
        '{ type: string, pattern: "[a-z]+" }',
        'fluid: { documents: "*-${claims.tid}", scopes: [doc:read], ttl: 1h }',
      ),
    );
    expect(found.map((d) => [d.column, d.hint])).toEqual([
      [32, "put every ${claims.x} before the first '*', e.g. \"${claims.tid}-*\""],
    ]);
  });

  it("refuses two placeholders side by side in a Cosmos partition template, unless the first has a fixed length", () => {
    const grant = 'cosmos: { container: items, partitionKey: "${claims.tid}${claims.team}", access: read, ttl: 1h }';
    const found = ambiguities(policy('{ type: string, pattern: "[a-z]+" }', grant));
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(
      /^\$\{claims\.team\} directly follows \$\{claims\.tid\}, so where 'tid' ends is not fixed: tid '.+', team '.+' and tid '.+', team '.+' both reach '.+'$/,
    );
    expect(ambiguities(policy("{ type: string, format: uuid }", grant))).toEqual([]);
  });

  it("refuses a CDN prefix whose separator the claim may hold, and accepts '/' (no value holds it)", () => {
    const dotted = ambiguities(
      policy(
        '{ type: string, pattern: "[a-z.]+" }',
        'cdn: { prefix: "/tenants/${claims.tid}.${claims.team}/", ttl: 15m }',
      ),
    );
    expect(dotted).toHaveLength(1);
    expect(dotted[0].message).toContain("may contain '.'");
    expect(ambiguities(policy(PLAIN, 'cdn: { prefix: "/tenants/${claims.tid}/${claims.team}/", ttl: 15m }'))).toEqual(
      [],
    );
  });

  it("refuses a claim followed by ${env.x} (its first character is not known to the check)", () => {
    const found = ambiguities(
      policy(
        '{ type: string, pattern: "[a-z]+" }',
        'cosmos: { container: items, partitionKey: "${claims.tid}${env.suffix}", access: read, ttl: 1h }',
      ),
    );
    expect(found[0].message).toContain("is followed by ${env.suffix}");
  });

  it("the evaluator refuses a value holding the separator that follows it (policy compiled without the check)", () => {
    const text = policy(PLAIN, 'fluid: { documents: "${claims.tid}-*", scopes: [doc:read], ttl: 1h }');
    const config = compilePolicy(loadPolicy(filesInMemory(text)).bundle!, "dev", { skipCheck: true }).config;
    const ev = createEvaluator(config);
    const ask = (tid: string) =>
      ev.evaluate({ issuer: "idp", claims: { sub: "s", tid, roles: ["member"] } }, [
        { type: "fluid", documentId: "contoso-evil-doc1" },
      ]);
    expect(ask("contoso-evil").denied).toEqual([
      {
        request: 0,
        type: "fluid",
        reason: "claim-unusable",
        message: "grant member#0 needs claim 'tid', which contains '-', the separator that follows it in the template",
      },
    ]);
    expect(ask("contoso").credentials).toHaveLength(1); // the owner of the prefix is unaffected
  });

  it("the evaluator refuses a value followed directly by a wildcard (policy compiled without the check)", () => {
    const text = policy(PLAIN, 'fluid: { documents: "${claims.tid}*", scopes: [doc:read], ttl: 1h }');
    const config = compilePolicy(loadPolicy(filesInMemory(text)).bundle!, "dev", { skipCheck: true }).config;
    const d = createEvaluator(config).evaluate({ issuer: "idp", claims: { sub: "s", tid: "ab", roles: ["member"] } }, [
      { type: "fluid", documentId: "abc" },
    ]);
    expect(d.denied[0]).toMatchObject({
      reason: "claim-unusable",
      message: expect.stringContaining("followed directly by a wildcard"),
    });
  });

  it("a fixed length proved by the declaration is compiled into the template and enforced at run time", () => {
    const text = policy(
      '{ type: string, pattern: "[a-z-]{4}" }',
      'cosmos: { container: items, partitionKey: "${claims.tid}-${claims.team}", access: read, ttl: 1h }',
    );
    expect(ambiguities(text)).toEqual([]);
    const config = compilePolicy(loadPolicy(filesInMemory(text)).bundle!, "dev").config;
    const grant = config.roles[0].grants[0];
    expect(grant.type === "cosmos" && grant.partitionKey).toEqual([
      { claim: "tid", length: 4 },
      "-",
      { claim: "team" },
    ]);
    const ev = createEvaluator(config);
    const ask = (tid: string) =>
      ev.evaluate({ issuer: "idp", claims: { sub: "s", tid, team: "t", roles: ["member"] } }, [
        { type: "cosmos", container: "items" },
      ]);
    expect(ask("ab-c").credentials[0]).toMatchObject({ partitionKey: "ab-c-t" });
    expect(ask("ab-cd").denied[0]).toMatchObject({
      reason: "claim-unusable",
      message: expect.stringContaining("is not 4 characters long"),
    });
  });

  it("reads patterns conservatively: only flat sequences of quantified atoms", () => {
    expect(parseAtoms("^[0-9a-f]{32}$")).toEqual([{ source: "[0-9a-f]", min: 32, max: 32 }]);
    expect(parseAtoms("\\d{2,}x?")).toEqual([
      { source: "\\d", min: 2, max: Infinity },
      { source: "x", min: 0, max: 1 },
    ]);
    for (const p of ["(ab)+", "a|b", "a\\1", "\\bx", "[[a]]", "a{2", "a**", "x$y"])
      expect(parseAtoms(p)).toBeUndefined();
    const shape = claimShape({ type: "string", pattern: "[^/]{3}" });
    expect(shape.fixedLength).toBe(3);
    expect(shape.mayContain("-")).toBe(true); // a negated class admits it
    expect(claimShape({ type: "string", pattern: "[\\w.]+" }).mayContain("-")).toBe(false);
    expect(claimShape({ type: "number" }).mayContain("-")).toBe(true);
    expect(claimShape({ type: "number" }).mayContain("_")).toBe(false);
  });
});
