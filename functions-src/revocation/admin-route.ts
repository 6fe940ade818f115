/**
 * POST /api/admin/revocations  Authorization: Bearer <JWT>
 *   {"subject": "...", "issuer"?: "<policy issuer name>", "reason"?: "..."}  or  {"jti": "...", "reason"?: "..."}
 * The caller's token is verified like any other (and checked against the deny-list itself); only holders of a role
 * named in the policy's `revocation.adminRoles` may revoke. A subject's Cosmos users and permissions are deleted
 * too (no new resource token from them; issued ones run out with their TTL). Every revocation is an audit record.
 */
import type { Evaluator } from "../../lib/policy/runtime/evaluate";
import type { CompiledRevocation } from "../../lib/policy/runtime/runtime-config";
import type { AuditRecord } from "../audit";
import { json, problem, type BrokerResponse } from "../problem";
import { StoreUnavailableError } from "../store/shared-store";
import type { VerifiedToken } from "../verify/verify-token";
import type { RevocationList, RevocationTarget } from "./revocation-list";

export const ADMIN_REVOCATIONS_PATH = "/api/admin/revocations";
const MAX_FIELD = 256;

/** Deletes the subject's Cosmos metadata for each named policy issuer. */
export type CosmosCallerCleanup = (issuer: string, subject: string) => Promise<{ permissions: number; users: number }>;

export interface AdminRouteDeps {
  policy: CompiledRevocation;
  list: RevocationList;
  evaluator: Evaluator;
  issuers: string[];
  cosmosCleanup?: CosmosCallerCleanup;
  audit: (r: Omit<AuditRecord, "at" | "policy">) => void;
}

export class RevocationRequestError extends Error {
  readonly code = "ERR_REVOCATION_REQUEST";
}

/** The request body as a target; shared with the CLI so both accept exactly the same shapes. */
export function parseRevocationRequest(
  value: unknown,
  issuers: string[],
): { target: RevocationTarget; reason?: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new RevocationRequestError("send a JSON object");
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v))
    if (!["subject", "issuer", "jti", "reason"].includes(k)) throw new RevocationRequestError(`unknown member '${k}'`);
  const text = (k: string) => {
    if (v[k] === undefined) return undefined;
    if (typeof v[k] !== "string" || v[k] === "" || (v[k] as string).length > MAX_FIELD)
      throw new RevocationRequestError(`'${k}' must be a non-empty string of at most ${MAX_FIELD} characters`);
    return v[k] as string;
  };
  const [subject, issuer, jti, reason] = ["subject", "issuer", "jti", "reason"].map(text);
  if ((subject === undefined) === (jti === undefined))
    throw new RevocationRequestError("name exactly one of 'subject' and 'jti'");
  if (issuer !== undefined && subject === undefined) throw new RevocationRequestError("'issuer' goes with 'subject'");
  if (issuer !== undefined && !issuers.includes(issuer))
    throw new RevocationRequestError(`'issuer' must be one of this policy's issuers: ${issuers.join(", ")}`);
  const target: RevocationTarget =
    subject !== undefined ? { kind: "subject", subject, ...(issuer && { issuer }) } : { kind: "jti", jti: jti! };
  return { target, ...(reason && { reason }) };
}

export function createAdminRoute(deps: AdminRouteDeps) {
  return async (token: VerifiedToken, body: string): Promise<BrokerResponse> => {
    const roles = deps.evaluator
      .matchRoles({ issuer: token.issuer, claims: token.claims as Record<string, never> })
      .map((r) => r.name);
    if (!roles.some((r) => deps.policy.adminRoles.includes(r))) {
      deps.audit({
        event: "denied",
        subject: token.subject,
        issuer: token.issuer,
        roles,
        type: "revocation",
        reason: "not-admin",
      });
      return problem("forbidden", "revoking needs one of the policy's revocation admin roles");
    }
    let request;
    try {
      request = parseRevocationRequest(JSON.parse(body), deps.issuers);
    } catch (e) {
      if (e instanceof SyntaxError) return problem("bad-request", "the body is not valid JSON");
      if (e instanceof RevocationRequestError) return problem("bad-request", e.message);
      throw e;
    }
    let entry;
    try {
      entry = await deps.list.revoke(request.target, {
        by: `${token.issuer}|${token.subject}`,
        reason: request.reason,
      });
    } catch (e) {
      if (e instanceof StoreUnavailableError)
        return problem("backend-unavailable", "the revocation list cannot be written right now", {
          headers: { "retry-after": "5" },
        });
      throw e;
    }
    const t = request.target;
    let cosmos: { permissions: number; users: number } | undefined;
    if (t.kind === "subject" && deps.cosmosCleanup) {
      cosmos = { permissions: 0, users: 0 };
      for (const issuer of t.issuer ? [t.issuer] : deps.issuers) {
        const r = await deps.cosmosCleanup(issuer, t.subject);
        cosmos.permissions += r.permissions;
        cosmos.users += r.users;
      }
    }
    deps.audit({
      event: "revoked",
      subject: t.kind === "subject" ? t.subject : undefined,
      issuer: t.kind === "subject" ? t.issuer : undefined,
      jti: t.kind === "jti" ? t.jti : undefined,
      type: t.kind,
      by: entry.by,
      reason: request.reason,
      expiresAt: entry.expiresAt,
    });
    return json(201, {
      revoked: t.kind,
      revokedAt: entry.revokedAt,
      expiresAt: entry.expiresAt,
      ...(cosmos && { cosmos }),
    });
  };
}
