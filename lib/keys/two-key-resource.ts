/**
 * What the rotation needs from a resource with two keys (Fluid Relay key1/key2, Cosmos DB primary/secondary) and from
 * the place the broker reads keys from (Key Vault in Azure). Two implementations each: Azure REST
 * (azure-key-backends.ts) and the local components (lib/local/local-key-backends.ts).
 */
import type { KeyDocument, KeySlot, RotatedResource } from "../../functions-src/keys/key-document";

export interface TwoKeyResource {
  readonly resource: RotatedResource;
  /** Both keys as the service holds them now. */
  listKeys(): Promise<Record<KeySlot, string>>;
  /** Regenerates one key and resolves once the service reports the operation done. */
  regenerateKey(slot: KeySlot): Promise<void>;
  /**
   * Resolves once `key` is accepted by the service, rejects if it never is within the backend's patience. Cosmos DB:
   * "Key regeneration can take anywhere from one minute to multiple hours" and the new key should be validated
   * before use (learn.microsoft.com/azure/cosmos-db/secure-access-to-data, "Key rotation and regeneration").
   */
  verifyKey?(slot: KeySlot, key: string): Promise<void>;
}

export interface KeyDocumentStore {
  read(name: string): Promise<KeyDocument | undefined>;
  write(name: string, doc: KeyDocument): Promise<void>;
}
