/**
 * Issue 19, class 5: the Easy Auth principal is compared with the token on every claim both carry that the policy
 * reads, not only on subject, issuer, audience and tenant. Generated tokens and principals (the App Service format:
 * base64 JSON `{auth_typ, claims: [{typ, val}], role_typ}`, one entry per value of a multi-valued claim).
 */
import fc from "fast-check";
import { checkEasyAuthPrincipal, EasyAuthMismatch } from "../../../functions-src/verify/easy-auth-principal";

const ROLE_URI = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";
const TID_URI = "http://schemas.microsoft.com/identity/claims/tenantid";
const DECLARED = ["sub", "tid", "roles", "groups", "department"];
const SEED = 19005;

const value = fc.stringMatching(/^[a-z0-9-]{1,12}$/).map((v) => `q${v}q`); // no "q" in any message
const tokenArb = fc.record({
  sub: value,
  tid: value,
  roles: fc.uniqueArray(value, { maxLength: 5 }),
  groups: fc.uniqueArray(value, { maxLength: 5 }),
  department: value,
});
type Token = { sub: string; tid: string; roles: string[]; groups: string[]; department: string };

/** The principal App Service would build from the token: one entry per value, short or long claim types. */
function entriesFor(token: Token, longTypes: boolean): [string, string][] {
  return [
    ["sub", token.sub],
    [longTypes ? TID_URI : "tid", token.tid],
    ...token.roles.map((r): [string, string] => [longTypes ? ROLE_URI : "roles", r]),
    ...token.groups.map((g): [string, string] => ["groups", g]),
    ["department", token.department],
    ["name", "Display Name"], // read by no rule: may differ
  ];
}

const encode = (entries: [string, string][]) =>
  Buffer.from(
    JSON.stringify({ auth_typ: "aad", claims: entries.map(([typ, val]) => ({ typ, val })), role_typ: ROLE_URI }),
  ).toString("base64");

const check = (token: Token, entries: [string, string][]) =>
  checkEasyAuthPrincipal(
    { principal: encode(entries) },
    "sub",
    { ...token, iss: "https://idp", aud: "api://b" },
    DECLARED,
  );

it("accepts every principal that carries exactly the token's values (any order, repeats, short or long types)", () => {
  fc.assert(
    fc.property(tokenArb, fc.boolean(), fc.nat(), (token, longTypes, rotate) => {
      const entries = entriesFor(token, longTypes);
      const shuffled = [...entries.slice(rotate % entries.length), ...entries.slice(0, rotate % entries.length)];
      expect(() => check(token, [...shuffled, ...shuffled.slice(0, 2)])).not.toThrow();
    }),
    { seed: SEED, numRuns: 300 },
  );
});

it("refuses a principal that claims a value the token lacks for any compared claim (a role, a group, a tenant, ...)", () => {
  const claimName = fc.constantFrom("roles", "groups", "department", "tid");
  fc.assert(
    fc.property(tokenArb, claimName, value, fc.boolean(), (token, name, extra, longTypes) => {
      const own = ([] as string[]).concat(token[name as keyof Token]);
      fc.pre(!own.includes(extra));
      const typ = longTypes && name === "roles" ? ROLE_URI : longTypes && name === "tid" ? TID_URI : name;
      const entries: [string, string][] = [...entriesFor(token, false), [typ, extra]];
      expect(() => check(token, entries)).toThrow(EasyAuthMismatch);
      try {
        check(token, entries);
      } catch (e) {
        // Names the claim, never a value.
        expect((e as Error).message).not.toContain(extra);
      }
    }),
    { seed: SEED, numRuns: 300 },
  );
});

it("refuses a principal that carries only part of a multi-valued claim (it disagrees with the token)", () => {
  fc.assert(
    fc.property(
      tokenArb.filter((t) => t.roles.length >= 2),
      fc.nat(),
      (token, drop) => {
        const roles = token.roles.filter((_, i) => i !== drop % token.roles.length);
        expect(() => check(token, entriesFor({ ...token, roles }, false))).toThrow(EasyAuthMismatch);
      },
    ),
    { seed: SEED, numRuns: 200 },
  );
});

it("follows the principal's own role_typ, and never looks a claim name up through the prototype chain", () => {
  const token = { sub: "alice", tid: "t", roles: ["reader"], groups: [], department: "d" };
  const principal = Buffer.from(
    JSON.stringify({
      claims: [
        { typ: "sub", val: "alice" },
        { typ: "app-role", val: "admin" },
      ],
      role_typ: "app-role",
    }),
  ).toString("base64");
  expect(() => checkEasyAuthPrincipal({ principal }, "sub", token, DECLARED)).toThrow(EasyAuthMismatch);
  const proto = encode([
    ["sub", "alice"],
    ["constructor", "x"],
  ]);
  expect(() => checkEasyAuthPrincipal({ principal: proto }, "sub", token, [...DECLARED, "constructor"])).toThrow(
    EasyAuthMismatch,
  );
});
