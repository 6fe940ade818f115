/** Questions about a policy document that both the checks and the compiler ask, answered in one place. */
import { hasOwnName, ownValue } from "../runtime/own";
import type { ResolvedEnvironment } from "./environments";
import type { ClaimDeclaration, IssuerSource, PolicyDocument, RoleSource } from "./source-types";

/** The issuers a role accepts (all of them when it names none), with their declared claims. */
export function roleIssuers(doc: PolicyDocument, role: RoleSource): [string, Record<string, ClaimDeclaration>][] {
  return (role.issuers ?? Object.keys(doc.issuers))
    .filter((n) => hasOwnName(doc.issuers, n))
    .map((n) => [n, ownValue(doc.issuers, n)!.claims]);
}

/** The claim that names the caller when the issuer does not say: Entra's stable object id, else `sub`. */
export function defaultSubject(issuer: IssuerSource): string {
  return issuer.type === "entra" ? "oid" : "sub";
}

/** Whether something limited to `stages` exists in this environment (no list: every stage). */
export function inStage(stages: RoleSource["stages"], env: ResolvedEnvironment): boolean {
  return stages === undefined || stages.includes(env.stage);
}
