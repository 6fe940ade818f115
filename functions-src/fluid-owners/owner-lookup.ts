/**
 * Before evaluating, the broker looks up the recorded owners of the Fluid documents asked for, in the caller's
 * tenant (a point read in that tenant's partition, through the registry's cache). Only when the policy scopes
 * grants by owner; a caller without a usable tenant claim gets no records, so owner grants cover nothing for it.
 */
import type { AccessRequest } from "../../lib/policy/runtime/access-request";
import type { DocumentOwner } from "../../lib/policy/runtime/document-owner";
import type { RuntimeConfig } from "../../lib/policy/runtime/runtime-config";
import type { FluidOwnerRegistry } from "./owner-registry";
import { ownerTenantOf } from "./owner-tenant";

/** Whether any grant of the policy is owner-scoped (decided once per config). */
export function usesOwners(config: RuntimeConfig): boolean {
  return config.roles.some((r) => r.grants.some((g) => g.type === "fluid" && g.owner !== undefined));
}

export async function lookUpOwners(
  registry: FluidOwnerRegistry,
  tenantClaim: string,
  claims: Readonly<Record<string, unknown>>,
  requests: readonly AccessRequest[],
): Promise<Map<string, DocumentOwner> | undefined> {
  let ids: string[] | undefined;
  for (const r of requests) if (r.type === "fluid" && !r.create && r.documentId) (ids ??= []).push(r.documentId);
  if (!ids) return undefined;
  const tenant = ownerTenantOf(claims, tenantClaim);
  if (tenant === undefined) return undefined;
  const found = await Promise.all([...new Set(ids)].map((id) => registry.find(tenant, id)));
  const owners = new Map<string, DocumentOwner>();
  for (const o of found) if (o) owners.set(o.documentId, { tenant: o.tenant, creator: o.creator, issuer: o.issuer });
  return owners;
}
