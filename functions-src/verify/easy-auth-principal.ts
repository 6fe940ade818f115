/**
 * Easy Auth's principal headers must agree with the bearer token, or the request is refused before evaluation.
 * App Service injects `X-MS-CLIENT-PRINCIPAL` (base64 of JSON `{auth_typ, claims: [{typ, val}], name_typ, role_typ}`)
 * and `X-MS-CLIENT-PRINCIPAL-ID`, and strips client-sent copies only when Easy Auth is on
 * (learn.microsoft.com/azure/app-service/configure-authentication-user-identities). When Easy Auth is off, or a proxy
 * forwards client headers, they are whatever the caller wrote: a disagreement means someone is lying.
 * Errors name the header and never a claim value.
 */
import { ownValue } from "../../lib/policy/runtime/own";
import { parseWithoutDuplicateKeys } from "./duplicate-keys";

/** The raw headers, when present. */
export interface EasyAuthPrincipal {
  /** X-MS-CLIENT-PRINCIPAL-ID */
  id?: string;
  /** X-MS-CLIENT-PRINCIPAL */
  principal?: string;
}

export class EasyAuthMismatch extends Error {}

/**
 * Claim types Easy Auth may use instead of the token's short names: the principal's claim types go through App
 * Service's default claims mapping and may differ from the names in the token
 * (learn.microsoft.com/azure/app-service/configure-authentication-user-identities, "Decode the client principal
 * header"). The role URI is the `role_typ` App Service reports; a principal may also name its own `role_typ`.
 * A Map, so a claim name from a policy or a token never finds an Object.prototype member.
 */
const LONG_NAMES = new Map<string, readonly string[]>([
  ["sub", ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"]],
  ["oid", ["http://schemas.microsoft.com/identity/claims/objectidentifier"]],
  ["tid", ["http://schemas.microsoft.com/identity/claims/tenantid"]],
  ["email", ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"]],
  ["upn", ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"]],
  ["roles", ["http://schemas.microsoft.com/ws/2008/06/identity/claims/role"]],
  ["groups", ["http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"]],
  ["name", ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"]],
]);
const MAX_PRINCIPAL_BYTES = 16_384;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Throws EasyAuthMismatch unless every claim the headers carry that the broker or the policy reads agrees with the
 * verified token: the subject, `iss`, `aud`, `tid` and each claim the issuer declares (only declared claims can
 * appear in a condition or a template). Values compare as sets of strings: the principal spells a multi-valued claim
 * as one `{typ, val}` entry per value and every value as a string. A claim the principal leaves out is not compared
 * (Easy Auth need not forward every claim); one it carries must hold exactly the token's values, so a role, a group
 * or a tenant the token lacks is refused. Claims no rule reads (`name`, `ipaddr`, ...) may differ.
 */
export function checkEasyAuthPrincipal(
  headers: EasyAuthPrincipal | undefined,
  subjectClaim: string,
  claims: Readonly<Record<string, unknown>>,
  declaredClaims: readonly string[] = [],
): void {
  if (!headers) return;
  const subject = String(ownValue(claims, subjectClaim));
  if (headers.id !== undefined && headers.id !== subject)
    throw new EasyAuthMismatch("X-MS-CLIENT-PRINCIPAL-ID names another caller than the bearer token");
  if (headers.principal === undefined) return;
  const { byType, roleType } = decodePrincipal(headers.principal);
  const values = (name: string) => {
    const types = [name, ...(LONG_NAMES.get(name) ?? [])];
    if (name === "roles" && roleType !== undefined && !types.includes(roleType)) types.push(roleType);
    return types.flatMap((t) => byType.get(t) ?? []);
  };

  const subjects = values(subjectClaim);
  if (subjects.length === 0)
    throw new EasyAuthMismatch(`X-MS-CLIENT-PRINCIPAL does not name the caller (no '${subjectClaim}' claim)`);
  if (subjects.some((v) => v !== subject))
    throw new EasyAuthMismatch("X-MS-CLIENT-PRINCIPAL names another caller than the bearer token");
  if (values("iss").some((v) => v !== claims.iss))
    throw new EasyAuthMismatch("X-MS-CLIENT-PRINCIPAL names another issuer than the bearer token");
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (values("aud").some((v) => !audiences.includes(v)))
    throw new EasyAuthMismatch("X-MS-CLIENT-PRINCIPAL names another audience than the bearer token");
  if (values("tid").some((v) => v !== claims.tid))
    throw new EasyAuthMismatch("X-MS-CLIENT-PRINCIPAL names another tenant than the bearer token");
  for (const name of new Set(declaredClaims)) {
    if (name === subjectClaim || name === "iss" || name === "aud") continue;
    const carried = values(name);
    if (carried.length === 0) continue;
    const expected = new Set(asStrings(Object.hasOwn(claims, name) ? claims[name] : undefined));
    const seen = new Set(carried);
    if (seen.size !== expected.size || [...seen].some((v) => !expected.has(v)))
      throw new EasyAuthMismatch(`X-MS-CLIENT-PRINCIPAL disagrees with the bearer token on claim '${name}'`);
  }
}

/** A claim's values as the principal spells them: one string per array member; absent, null or an object: none. */
function asStrings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.flatMap((v) =>
    typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? [String(v)] : [],
  );
}

function decodePrincipal(header: string): { byType: Map<string, string[]>; roleType?: string } {
  const unreadable = () => new EasyAuthMismatch("X-MS-CLIENT-PRINCIPAL is not base64 JSON with a claims list");
  // Canonical base64 only: two spellings of one principal would be two different requests to anything keyed on it.
  if (header.length > MAX_PRINCIPAL_BYTES || !BASE64.test(header)) throw unreadable();
  const bytes = Buffer.from(header, "base64");
  if (bytes.toString("base64") !== header) throw unreadable();
  const text = bytes.toString("utf8");
  let value: unknown;
  try {
    value = parseWithoutDuplicateKeys(text);
  } catch {
    throw unreadable();
  }
  const claims = (value as { claims?: unknown } | null)?.claims;
  if (typeof value !== "object" || value === null || !Array.isArray(claims)) throw unreadable();
  const byType = new Map<string, string[]>();
  for (const c of claims as unknown[]) {
    const { typ, val } = (c ?? {}) as { typ?: unknown; val?: unknown };
    if (typeof typ !== "string" || typeof val !== "string") throw unreadable();
    byType.set(typ, [...(byType.get(typ) ?? []), val]);
  }
  const roleType = (value as { role_typ?: unknown }).role_typ;
  return { byType, ...(typeof roleType === "string" && roleType !== "" && { roleType }) };
}
