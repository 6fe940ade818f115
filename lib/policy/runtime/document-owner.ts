/**
 * The recorded owner of a Fluid document, as the broker looked it up before evaluating (the evaluator stays pure:
 * it is handed the records, it never fetches them). `policy test` and `explain` name owners the same way.
 */
/** The Cosmos container that holds the owners (provisioned by the stacks, read and written by the broker only). */
export const FLUID_OWNERS_CONTAINER = "fluidDocuments";
/** A tenant's documents are one logical partition: per-tenant queries, point reads by (tenant, id). */
export const FLUID_OWNERS_PARTITION_KEY = "/tenant";

export interface DocumentOwner {
  /** The creator's value of the policy's tenant claim. */
  tenant: string;
  /** The creator's subject and the policy issuer that verified it. */
  creator: string;
  issuer: string;
}

/** Owners by document id; a document that is not in it has no recorded owner. */
export type DocumentOwners = ReadonlyMap<string, DocumentOwner>;
