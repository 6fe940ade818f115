/**
 * POST /api/fluid/documents  Authorization: Bearer <OIDC JWT>  {"documentId": "...", "token": "<receipt>"}
 * Records who created a Fluid container, proven by the receipt the Fluid service signed at creation
 * (creation-receipt.ts): 201 when recorded; 403 when the receipt does not prove that this caller created this
 * document; 409 when the document already has an owner or the receipt was spent. Every outcome is one audit record
 * (never the receipt). Reached only after the core verified the caller's token and took its rate budget.
 */
import type { AuditRecord, AuditSink } from "../audit";
import type { FluidSettings } from "../mint/fluid-minter";
import { json, problem, type BrokerResponse } from "../problem";
import type { VerifiedToken } from "../verify/verify-token";
import { ReceiptError, verifyCreationReceipt } from "./creation-receipt";
import type { FluidOwnerRegistry } from "./owner-registry";
import { ownerTenantOf } from "./owner-tenant";

export const FLUID_DOCUMENTS_PATH = "/api/fluid/documents";

/** Fluid Relay ids are uuids; routerlicious' are too. Nothing that could widen a key or a Cosmos id. */
const DOCUMENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

export interface FluidRegistrationDeps {
  registry: FluidOwnerRegistry;
  fluid: () => FluidSettings;
  /** The claim naming the caller's tenant (resources.fluid.owners.tenant). */
  tenantClaim: string;
  policy: string;
  audit?: AuditSink;
  now?: () => number;
}

export function createFluidRegistration(deps: FluidRegistrationDeps) {
  const now = deps.now ?? Date.now;
  const audit = deps.audit ?? (() => undefined);
  return async function register(token: VerifiedToken, body: string): Promise<BrokerResponse> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return problem("bad-request", "the body is not valid JSON");
    }
    const shape = parsed as { documentId?: unknown; token?: unknown };
    const keys = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? Object.keys(parsed) : [];
    if (keys.length !== 2 || !Object.hasOwn(shape, "documentId") || !Object.hasOwn(shape, "token"))
      return problem("bad-request", 'send exactly {"documentId": "...", "token": "..."}');
    if (typeof shape.documentId !== "string" || !DOCUMENT_ID.test(shape.documentId))
      return problem("bad-request", "documentId must be 1-128 characters of A-Z a-z 0-9 _ -", {
        members: { pointer: "/documentId" },
      });
    if (typeof shape.token !== "string" || shape.token.length === 0 || shape.token.length > 8192)
      return problem("bad-request", "token must be the receipt the Fluid service gave at creation", {
        members: { pointer: "/token" },
      });
    const documentId = shape.documentId;
    const at = now();
    const record = (r: Partial<AuditRecord> & Pick<AuditRecord, "event">): AuditRecord => ({
      at: new Date(at).toISOString(),
      policy: deps.policy,
      subject: token.subject,
      issuer: token.issuer,
      type: "fluid",
      scope: documentId,
      ...r,
    });
    const refuse = (reason: string, answer: BrokerResponse) => {
      audit(record({ event: "registration-refused", reason }));
      return answer;
    };

    const tenant = ownerTenantOf(token.claims, deps.tenantClaim);
    if (tenant === undefined)
      return refuse(
        "claim-unusable",
        problem("forbidden", `the caller's token lacks a usable '${deps.tenantClaim}' claim to own documents by`, {
          members: { reason: "claim-unusable" },
        }),
      );
    const s = deps.fluid();
    let receipt;
    try {
      receipt = verifyCreationReceipt(shape.token, {
        documentId,
        fluidTenantId: s.tenantId,
        keys: [s.key1, s.key2],
        issuer: token.issuer,
        subject: token.subject,
        now: Math.floor(at / 1000),
      });
    } catch (e) {
      if (!(e instanceof ReceiptError)) throw e;
      return refuse(e.code, problem("forbidden", e.message, { members: { reason: e.code } }));
    }
    const owner = {
      documentId,
      tenant,
      creator: token.subject,
      issuer: token.issuer,
      createdAt: new Date(at).toISOString(),
    };
    const outcome = await deps.registry.record(owner, receipt.jti, receipt.expiresAt);
    if (outcome === "document-taken")
      return refuse(
        outcome,
        problem("conflict", "this document already has an owner", { members: { reason: outcome } }),
      );
    if (outcome === "receipt-used")
      return refuse(outcome, problem("conflict", "this receipt was already used", { members: { reason: outcome } }));
    audit(record({ event: "registered", jti: receipt.jti }));
    return json(201, { documentId, createdAt: owner.createdAt });
  };
}
