/**
 * Properties (fast-check): whatever the claim values and requests, a credential never reaches outside what its
 * template admits, and the same input always gives the same decision.
 */
import fc from "fast-check";
import type { AccessRequest } from "../../lib/policy/runtime/access-request";
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { conditionHolds, createEvaluator } from "../../lib/policy/runtime/evaluate";
import { unsafeValueReason } from "../../lib/policy/runtime/template";
import { filesInMemory, loadOk } from "./helpers";

const POLICY = `version: 1
issuers:
  idp: { type: oidc, issuer: https://idp.example.com, audiences: [api], claims: { sub: { type: string }, tid: { type: string }, team: { type: string }, roles: { type: "string[]" } } }
resources:
  cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } }
  fluid: {}
  cdn: { prefixes: { /tenants/: {}, /public/: {} } }
roles:
  member:
    when: { claim: roles, contains: member }
    grants:
      - cosmos: { container: items, partitionKey: "t-\${claims.tid}", access: all, ttl: 1h }
      - fluid: { documents: "\${claims.tid}-*", scopes: [doc:read, doc:write], ttl: 1h }
      - cdn: { prefix: "/tenants/\${claims.tid}/\${claims.team}/", ttl: 10m }
      - cdn: { prefix: /public/, ttl: 1h }
  lead:
    when: { all: [{ claim: roles, contains: lead }, { claim: team, prefix: "t" }] }
    grants:
      - cosmos: { container: items, partitionKey: "t-\${claims.tid}", access: read, ttl: 2h }
environments: { dev: { stage: development } }
`;
const evaluator = createEvaluator(compilePolicy(loadOk(filesInMemory(POLICY)), "dev").config);

// Hostile-looking text: path and pattern characters, unicode, controls, and plain ids.
const nasty = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom("/", ".", "..", ",", "*", "?", "#", "%", " ", "\u0000", "\n", "a", "b", "-", "\\", "&", "="), maxLength: 12 }),
  fc.stringMatching(/^[a-z0-9-]{1,12}$/),
);
const claimsArb = fc.record({ sub: fc.constant("user-1"), tid: nasty, team: nasty, roles: fc.subarray(["member", "lead", "other"]) });
const requestArb: fc.Arbitrary<AccessRequest> = fc.oneof(
  fc.record({ type: fc.constant("cosmos" as const), container: fc.constant("items"), partitionKey: fc.option(nasty, { nil: undefined }) }).map((r) => {
    if (r.partitionKey === undefined || (r.partitionKey !== "*" && unsafeValueReason(r.partitionKey))) delete r.partitionKey;
    return r;
  }),
  fc.record({ type: fc.constant("fluid" as const), documentId: nasty.filter((d) => !unsafeValueReason(d)) }),
  fc.array(fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/).filter((s) => s !== "." && s !== ".."), { minLength: 1, maxLength: 5 }).map((segs) => ({ type: "cdn" as const, path: `/${segs.join("/")}` })),
);
// The rule from the spec, written independently of lib/policy/runtime/template.ts so the properties can catch a regression
// there: non-empty, no '/', '..', ',', '*', '?', '#', '%', whitespace or control characters.
// eslint-disable-next-line no-control-regex -- the property is about control characters: the spec must exclude them
const SPEC_SAFE = /^(?!.*\.\.)[^/,*?#%\s\u0000-\u001f\u007f-\u009f]+$/u;
const safe = (v: string) => SPEC_SAFE.test(v);

describe("no claim value can widen a scope", () => {
  it("a Cosmos credential names exactly the templated partition of a safe tid", () => {
    fc.assert(
      fc.property(claimsArb, fc.array(requestArb, { minLength: 1, maxLength: 4 }), (claims, requests) => {
        for (const c of evaluator.evaluate({ issuer: "idp", claims }, requests).credentials) {
          if (c.type !== "cosmos") continue;
          expect(safe(claims.tid)).toBe(true);
          expect(c.partitionKey).toBe(`t-${claims.tid}`);
          expect(c.container).toBe("items");
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("a Fluid credential is only for documents under the caller's own, safe tid", () => {
    fc.assert(
      fc.property(claimsArb, nasty, (claims, suffix) => {
        // The caller asks for "its own" document even when its tid is hostile: the evaluator must refuse.
        const requests: AccessRequest[] = [{ type: "fluid", documentId: `${claims.tid}-${suffix}` }, { type: "fluid", documentId: "victim-doc" }];
        for (const c of evaluator.evaluate({ issuer: "idp", claims }, requests).credentials) {
          if (c.type !== "fluid") continue;
          expect(safe(claims.tid)).toBe(true);
          expect(c.documentId.startsWith(`${claims.tid}-`)).toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("a CDN credential's path lies under /public/ or the caller's own /tenants/<tid>/<team>/ with safe values", () => {
    fc.assert(
      fc.property(claimsArb, fc.array(requestArb, { minLength: 1, maxLength: 4 }), (claims, requests) => {
        // Also ask for "its own" path built from the raw claims: with a hostile tid it points elsewhere.
        const own = `/tenants/${claims.tid}/${claims.team}/`;
        const withOwn: AccessRequest[] = [...requests, { type: "cdn", path: `${own}file.txt` }];
        for (const c of evaluator.evaluate({ issuer: "idp", claims }, withOwn).credentials) {
          if (c.type !== "cdn" || c.path.startsWith("/public/")) continue;
          expect(safe(claims.tid) && safe(claims.team)).toBe(true);
          expect(c.path.startsWith(own)).toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe("evaluation is deterministic", () => {
  it("the same input gives the same decision, whatever the order of the claims", () => {
    fc.assert(
      fc.property(claimsArb, fc.array(requestArb, { minLength: 1, maxLength: 4 }), (claims, requests) => {
        const first = evaluator.evaluate({ issuer: "idp", claims }, requests);
        const reordered = Object.fromEntries(Object.entries(claims).reverse());
        expect(evaluator.evaluate({ issuer: "idp", claims: reordered }, requests)).toEqual(first);
        expect(createEvaluator(evaluator.config).evaluate({ issuer: "idp", claims }, requests)).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it("the role index finds exactly the roles a full scan finds", () => {
    fc.assert(
      fc.property(claimsArb, (claims) => {
        const indexed = evaluator.matchRoles({ issuer: "idp", claims }).map((r) => r.name);
        expect(indexed).toEqual(evaluator.config.roles.filter((r) => conditionHolds(r.when, claims)).map((r) => r.name));
      }),
      { numRuns: 500 },
    );
  });
});
