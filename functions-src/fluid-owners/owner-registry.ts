/**
 * Who owns which Fluid document: durable data (a Cosmos container, `fluidDocuments`, partitioned by tenant), read
 * through a bounded cache. First record wins; a creation receipt is spent by its first registration.
 * An unknown document has no owner, and an owner-scoped grant never covers it (deny by default).
 */
import { BoundedCache } from "../bounded-cache";

export interface FluidOwner {
  documentId: string;
  /** The value of the policy's tenant claim (resources.fluid.owners.tenant) of the creator. */
  tenant: string;
  /** The creator's subject, and the policy issuer that verified it. */
  creator: string;
  issuer: string;
  createdAt: string;
}

export type RecordOutcome = "recorded" | "document-taken" | "receipt-used";

export interface FluidOwnerRegistry {
  /** The owner recorded for the document within this tenant, if any. */
  find(tenant: string, documentId: string): Promise<FluidOwner | undefined>;
  /** Spends the receipt's jti, then records the owner; both are refused when already there. */
  record(owner: FluidOwner, receiptJti: string, receiptExpiresAt: number): Promise<RecordOutcome>;
  /** Deletes the record (`token-broker fluid forget`); false when there was none. */
  forget(tenant: string, documentId: string): Promise<boolean>;
}

/**
 * Owners found are cached for `ttlMs` (a forgotten document stays readable on other instances at most that long);
 * misses are not cached, so a document registered on another instance is seen at once.
 */
export function cachedOwnerRegistry(
  inner: FluidOwnerRegistry,
  options: { entries?: number; ttlMs?: number; now?: () => number } = {},
): FluidOwnerRegistry {
  const now = options.now ?? Date.now;
  const ttl = options.ttlMs ?? 60_000;
  // ~300 bytes an entry: 10,000 entries stay under 3 MiB.
  const cache = new BoundedCache<FluidOwner>(options.entries ?? 10_000, now);
  const keyOf = (tenant: string, documentId: string) => `${tenant}\n${documentId}`;
  return {
    async find(tenant, documentId) {
      const key = keyOf(tenant, documentId);
      const hit = cache.get(key);
      if (hit) return hit;
      const owner = await inner.find(tenant, documentId);
      if (owner) cache.set(key, owner, now() + ttl);
      return owner;
    },
    record: (owner, jti, expiresAt) => inner.record(owner, jti, expiresAt),
    async forget(tenant, documentId) {
      cache.delete(keyOf(tenant, documentId));
      return inner.forget(tenant, documentId);
    },
  };
}
