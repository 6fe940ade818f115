/**
 * Issue 7, item 2: `policy diff` compares what each role can obtain (own and inherited grants, widest capability per
 * target), not grant lists. Fixture pairs: base and head policies that differ in one place.
 */
import { compilePolicy } from "../../lib/policy/authoring/compile";
import { diffPolicies, type PolicyDiff } from "../../lib/policy/review/diff";
import { filesInMemory, loadOk } from "./helpers";

const policy = (roles: string) => `version: 1
issuers:
  idp: { type: oidc, issuer: https://idp.example.com, audiences: [api], claims: { sub: { type: string }, tid: { type: string, format: uuid }, roles: { type: "string[]" } } }
resources:
  cosmos: { database: db, containers: { items: { partitionKey: /tenantId } } }
  fluid: {}
  cdn: { prefixes: { /public/: {}, /tenants/: {} } }
roles:
${roles}
environments: { dev: { stage: development } }
`;

function diff(baseRoles: string, headRoles: string): PolicyDiff {
  const compiled = (roles: string) => compilePolicy(loadOk(filesInMemory(policy(roles))), "dev");
  return diffPolicies(new Map([["dev", { base: compiled(baseRoles), head: compiled(headRoles) }]]));
}

const lines = (d: PolicyDiff) => d.groups.flatMap((g) => g.changes.map((c) => `${c.scope}: ${c.direction}: ${c.text}`));

const LADDER = (editorScopes: string) => `  reader:
    when: { claim: roles, contains: reader }
    grants:
      - fluid: { documents: "*", scopes: [doc:read], ttl: 1h }
  editor:
    when: { claim: roles, contains: editor }
    inherits: [reader]
    grants:
      - fluid: { documents: "*", scopes: [${editorScopes}], ttl: 1h }
  admin:
    when: { claim: roles, contains: admin }
    inherits: [editor]
    grants:
      - fluid: { documents: "*", create: true, scopes: [doc:read, doc:write, summary:write], ttl: 1h }`;

describe("issue 7.2 effective-access diff", () => {
  it("one grant narrows while another still covers: the role that keeps the access shows no change", () => {
    const d = diff(LADDER("doc:read, doc:write, summary:write"), LADDER("doc:read, doc:write"));
    // editor really loses summary:write; admin#0 still gives admin all three scopes for as long: no change for admin.
    expect(lines(d)).toEqual([
      "role editor: narrows: Fluid documents `*`: doc:read doc:write summary:write, 1h → doc:read doc:write, 1h",
    ]);
    expect(d.widens).toBe(false);
  });

  it("a narrowed partition grant under a whole-container grant of the same role is no change at all", () => {
    const roles = (ttl: string) => `  r:
    when: { claim: roles, contains: r }
    grants:
      - cosmos: { container: items, access: read, ttl: 1h }
      - cosmos: { container: items, partitionKey: "\${claims.tid}", access: read, ttl: ${ttl} }`;
    expect(diff(roles("1h"), roles("30m"))).toEqual({ unchanged: true, widens: false, groups: [] });
  });

  it("reordering or splitting grants that give the same access is no change", () => {
    const a = `  r:
    when: { claim: roles, contains: r }
    grants:
      - cosmos: { container: items, partitionKey: "\${claims.tid}", access: all, ttl: 1h }
      - cosmos: { container: items, access: read, ttl: 1h }`;
    const b = `  r:
    when: { claim: roles, contains: r }
    grants:
      - cosmos: { container: items, access: read, ttl: 1h }
      - cosmos: { container: items, partitionKey: "\${claims.tid}", access: read, ttl: 30m }
      - cosmos: { container: items, partitionKey: "\${claims.tid}", access: all, ttl: 1h }`;
    expect(diff(a, b).unchanged).toBe(true);
  });

  it("two roles overlap: removing the grant from one reports that role only, not the role inheriting both", () => {
    const roles = (xGrants: string) => `  x:
    when: { claim: roles, contains: x }
    grants:
${xGrants}
  y:
    when: { claim: roles, contains: y }
    grants:
      - cdn: { prefix: /public/, ttl: 1h }
  z:
    when: { claim: roles, contains: z }
    inherits: [x, y]`;
    // x's copy is bound to the client IP, y's is not: z, holding both, can obtain an unbound 1h URL either way.
    const both =
      '      - cdn: { prefix: /public/, ttl: 1h, bindClientIp: true }\n      - cdn: { prefix: "/tenants/${claims.tid}/", ttl: 15m }';
    const d = diff(roles(both), roles('      - cdn: { prefix: "/tenants/${claims.tid}/", ttl: 15m }'));
    expect(lines(d)).toEqual(["role x: narrows: loses CDN `/public/`: was 1h, bound to client IP"]);
    // ...and the other way round, x gains what y already gave z: x widens, z does not.
    expect(lines(diff(roles('      - cdn: { prefix: "/tenants/${claims.tid}/", ttl: 15m }'), roles(both)))).toEqual([
      "role x: widens: gains CDN `/public/`: 1h, bound to client IP",
    ]);
  });

  it("a wider target that now covers a narrower one is reported once, as the widening it is", () => {
    const roles = (prefix: string) => `  r:
    when: { claim: roles, contains: r }
    grants:
      - cdn: { prefix: "${prefix}", ttl: 15m }`;
    expect(lines(diff(roles("/tenants/${claims.tid}/"), roles("/tenants/")))).toEqual([
      "role r: widens: gains CDN `/tenants/`: 15m",
    ]);
    expect(lines(diff(roles("/tenants/"), roles("/tenants/${claims.tid}/")))).toEqual([
      "role r: narrows: loses CDN `/tenants/`: was 15m",
    ]);
  });

  it("gives reviewers' tools a typed result: per environment group, role, backend, target, before and after", () => {
    const d = diff(LADDER("doc:read, doc:write, summary:write"), LADDER("doc:read, doc:write"));
    expect(d.groups).toEqual([
      {
        environments: ["dev"],
        changes: [
          {
            scope: "role editor",
            role: "editor",
            direction: "narrows",
            text: "Fluid documents `*`: doc:read doc:write summary:write, 1h → doc:read doc:write, 1h",
            access: {
              backend: "fluid",
              target: "Fluid documents `*`",
              before: [{ backend: "fluid", scopes: ["doc:read", "doc:write", "summary:write"], ttlSeconds: 3600 }],
              after: [{ backend: "fluid", scopes: ["doc:read", "doc:write"], ttlSeconds: 3600 }],
              gained: [],
              lost: [{ backend: "fluid", scopes: ["doc:read", "doc:write", "summary:write"], ttlSeconds: 3600 }],
            },
          },
        ],
      },
    ]);
  });
});
