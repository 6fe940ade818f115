/**
 * One structured record per issuance and per denial. Never a token, a key or a secret.
 * `claims`, `hashed` and `asked` are what `token-broker policy replay` re-evaluates (docs/replay.md).
 */
import type { AccessRequest } from "../lib/policy/runtime/access-request";

export interface AuditRecord {
  /** `registered` / `registration-refused`: a Fluid document's owner (functions-src/fluid-owners). */
  event: "issued" | "denied" | "rejected" | "revoked" | "registered" | "registration-refused" | "forgotten";
  at: string;
  policy: string;
  subject?: string;
  issuer?: string;
  roles?: string[];
  request?: number;
  type?: string;
  /** What the credential is scoped to: container/partition, document, path. */
  scope?: string;
  access?: string;
  ttlSeconds?: number;
  grant?: string;
  jti?: string;
  reason?: string;
  /** Revocations: who revoked (issuer|subject of the admin, or "cli:<user>") and when the entry expires. */
  by?: string;
  expiresAt?: string;
  /** The declared claims the policy reads (functions-src/audit-claims.ts); absent on a rejected token. */
  claims?: Record<string, unknown>;
  /** Claims in `claims` recorded as keyed hashes. */
  hashed?: string[];
  /** The request as the broker parsed it. */
  asked?: AccessRequest;
  /**
   * A Fluid request for an existing document, when the policy scopes grants by owner: the caller's relation to the
   * document's recorded owner (`none` in the caller's tenant, the caller's `tenant`, or its `creator`). Replay
   * evaluates owner-scoped grants with it; never another tenant's value.
   */
  owner?: OwnerRelation;
}

export type OwnerRelation = "none" | "tenant" | "creator";

export type AuditSink = (record: AuditRecord) => void;

/** JSON lines on stdout: Application Insights and Log Analytics pick them up from the Functions host. */
export const stdoutAudit: AuditSink = (r) => process.stdout.write(`${JSON.stringify({ audit: r })}\n`);

/**
 * One record per step of a key rotation (lib/keys/rotation.ts), in the same `{"audit": ...}` JSON lines: which
 * resource, which step, which key slot (never a key), who ran it and, while it waits, until when.
 * `policy replay` reads only issued/denied records and skips these.
 */
export interface KeyRotationAuditRecord {
  event: "key-rotation";
  at: string;
  resource: "fluid" | "cosmos";
  step: "initialized" | "requested" | "waiting" | "regenerated" | "switched" | "completed" | "drift" | "failed";
  slot?: "key1" | "key2";
  /** `waiting`: the earliest time the next step may run. */
  until?: string;
  by: string;
  reason?: string;
}

export const stdoutKeyRotationAudit = (r: KeyRotationAuditRecord) =>
  process.stdout.write(`${JSON.stringify({ audit: r })}\n`);
