/**
 * The recorded owner of a Fluid document, as the broker looked it up before evaluating (the evaluator stays pure:
 * it is handed the records, it never fetches them). `policy test` and `explain` name owners the same way.
 */
export interface DocumentOwner {
  /** The creator's value of the policy's tenant claim. */
  tenant: string;
  /** The creator's subject and the policy issuer that verified it. */
  creator: string;
  issuer: string;
}

/** Owners by document id; a document that is not in it has no recorded owner. */
export type DocumentOwners = ReadonlyMap<string, DocumentOwner>;
