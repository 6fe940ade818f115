/**
 * `@azure-token-broker/client/cosmos`: a `CosmosClient` whose `tokenProvider` (an @azure/cosmos client option,
 * called for every request) hands it the broker's resource token for the container the request targets. Tokens
 * come from BrokerClient, so they are cached, renewed before they expire and de-duplicated; the client is built
 * once and never replaced on renewal.
 * Cosmos resource tokens are per container (and partition): name each container the app uses and, where the
 * policy scopes a partition, the partition key to ask for.
 */
import { CosmosClient, type CosmosClientOptions, type RequestInfo } from "@azure/cosmos";
import type { BrokerClient } from "./broker-client";
import type { CosmosCredential } from "./credential-types";

export interface BrokerCosmosContainer {
  /** Partition key value to ask for. @default the policy decides (the grant's partition) */
  partitionKey?: string;
  /** @default the policy's grant */
  access?: "read" | "all";
}

export interface CreateCosmosClientOptions {
  /** The containers this client may use, by name. The first one also authorises account and database reads. */
  containers: Record<string, BrokerCosmosContainer> | string[];
  /** @default the endpoint the broker's credential names (asked for once, up front) */
  endpoint?: string;
  /** Passed through to CosmosClient (not `key`, `resourceTokens`, `tokenProvider` or `aadCredentials`). */
  clientOptions?: Omit<
    CosmosClientOptions,
    "endpoint" | "key" | "resourceTokens" | "tokenProvider" | "aadCredentials" | "permissionFeed"
  >;
}

/** Builds the client; without `endpoint` it asks the broker for the first container's credential to learn it. */
export async function createCosmosClient(
  broker: BrokerClient,
  options: CreateCosmosClientOptions,
): Promise<CosmosClient> {
  const containers = Array.isArray(options.containers)
    ? Object.fromEntries(options.containers.map((c) => [c, {}]))
    : options.containers;
  const names = Object.keys(containers);
  if (names.length === 0) throw new RangeError("containers must name at least one container");
  const credentialFor = (name: string): Promise<CosmosCredential> =>
    broker.getCredential({ type: "cosmos", container: name, ...containers[name] });
  const endpoint = options.endpoint ?? (await credentialFor(names[0])).endpoint;

  const tokenProvider = async (info: RequestInfo): Promise<string> => {
    const container = containerOf(info.path) ?? names[0];
    if (!(container in containers))
      throw new RangeError(`container "${container}" is not one this client was built for`);
    const credential = await credentialFor(container);
    const token = Object.values(credential.resourceTokens)[0];
    if (!token) throw new RangeError(`the broker's credential for "${container}" carries no resource token`);
    return token; // the SDK URI-encodes it, as it does its own resourceTokens
  };
  return new CosmosClient({ ...options.clientOptions, endpoint, tokenProvider });
}

/** `dbs/<db>/colls/<container>/...` -> container; account and database paths have none. */
function containerOf(path: string): string | undefined {
  const parts = path.replace(/^\/+|\/+$/g, "").split("/");
  return parts[0] === "dbs" && parts[2] === "colls" && parts[3] ? decodeURIComponent(parts[3]) : undefined;
}
