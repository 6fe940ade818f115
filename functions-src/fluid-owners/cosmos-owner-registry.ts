/**
 * The owner registry in Cosmos DB: container `fluidDocuments`, partition key `/tenant` (a tenant's documents are one
 * partition: per-tenant queries, point reads by (tenant, id)). Two kinds of item share a partition: the owner
 * (`id` = the document id) and the spent receipt (`id` = `receipt:<jti>`). Creates, never upserts: Cosmos answers a
 * second create of the same id in a partition with 409 Conflict, which makes "first record wins" and "a receipt is
 * spent once" hold across broker instances without any other shared state.
 * Document ids are checked by the route ([A-Za-z0-9_-]), so an owner id can never look like a receipt id.
 */
import type { Container, CosmosClient } from "@azure/cosmos";
import { BackendUnavailableError } from "../errors";
import { cosmosSdk, identitySdk } from "../load-sdk";
import type { FluidOwner, FluidOwnerRegistry, RecordOutcome } from "./owner-registry";

import { FLUID_OWNERS_CONTAINER } from "../../lib/policy/runtime/document-owner";
export { FLUID_OWNERS_CONTAINER, FLUID_OWNERS_PARTITION_KEY } from "../../lib/policy/runtime/document-owner";

export interface CosmosOwnerSettings {
  endpoint: string;
  database: string;
  /**
   * The account key (local, or a deployment whose policy mints resource tokens anyway). Absent: the function's
   * managed identity, which the stacks give Cosmos DB Built-in Data Contributor on this one container only.
   */
  key?: string;
  /** With no key: this Entra credential. @default the managed identity */
  credential?: import("@azure/identity").TokenCredential;
}

async function readItem<T>(c: Container, id: string, tenant: string): Promise<T | undefined> {
  try {
    const { resource, statusCode } = await c.item(id, tenant).read<T & object>();
    return statusCode === 404 ? undefined : resource;
  } catch (e) {
    if (e instanceof cosmosSdk().ErrorResponse && e.code === 404) return undefined;
    throw e instanceof BackendUnavailableError ? e : new BackendUnavailableError("cosmos", 30);
  }
}

export function cosmosOwnerRegistry(settings: () => CosmosOwnerSettings): FluidOwnerRegistry {
  let cached: (CosmosOwnerSettings & { container: Container }) | undefined;
  const container = (): Container => {
    const s = settings();
    if (!cached || cached.endpoint !== s.endpoint || cached.key !== s.key || cached.database !== s.database) {
      const client: CosmosClient = new (cosmosSdk().CosmosClient)(
        s.key
          ? { endpoint: s.endpoint, key: s.key }
          : { endpoint: s.endpoint, aadCredentials: s.credential ?? new (identitySdk().ManagedIdentityCredential)() },
      );
      cached = { ...s, container: client.database(s.database).container(FLUID_OWNERS_CONTAINER) };
    }
    return cached.container;
  };
  const code = (e: unknown) => (e instanceof cosmosSdk().ErrorResponse ? e.code : undefined);
  const unavailable = (e: unknown) =>
    e instanceof BackendUnavailableError ? e : new BackendUnavailableError("cosmos", 30);
  return {
    async find(tenant, documentId) {
      try {
        const { resource, statusCode } = await container()
          .item(documentId, tenant)
          .read<FluidOwner & { kind: string }>();
        if (statusCode === 404 || !resource || resource.kind !== "owner") return undefined;
        const { creator, issuer, createdAt } = resource;
        return { documentId, tenant, creator, issuer, createdAt };
      } catch (e) {
        if (code(e) === 404) return undefined;
        throw unavailable(e);
      }
    },
    async record(owner, jti, expiresAt): Promise<RecordOutcome> {
      const c = container();
      // A retry of a registration whose answer was lost finds its own receipt spent and its own record: the same
      // receipt for the same document is answered as recorded; for any other document it stays spent.
      try {
        await c.items.create({
          id: `receipt:${jti}`,
          tenant: owner.tenant,
          kind: "receipt",
          documentId: owner.documentId,
          expiresAt,
        });
      } catch (e) {
        if (code(e) !== 409) throw unavailable(e);
        const spent = await readItem<{ documentId?: string }>(c, `receipt:${jti}`, owner.tenant);
        if (spent?.documentId !== owner.documentId) return "receipt-used";
      }
      try {
        await c.items.create({ id: owner.documentId, kind: "owner", ...owner });
      } catch (e) {
        if (code(e) !== 409) throw unavailable(e);
        const first = await readItem<FluidOwner>(c, owner.documentId, owner.tenant);
        const same = first?.creator === owner.creator && first?.issuer === owner.issuer;
        return same ? "recorded" : "document-taken";
      }
      return "recorded";
    },
    async forget(tenant, documentId) {
      try {
        await container().item(documentId, tenant).delete();
        return true;
      } catch (e) {
        if (code(e) === 404) return false;
        throw unavailable(e);
      }
    },
  };
}
