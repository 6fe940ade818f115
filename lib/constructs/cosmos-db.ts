/** Cosmos DB for NoSQL: account, database, containers, and data-plane RBAC for Entra principals. */
import { CosmosdbAccount } from "@cdktf/provider-azurerm/lib/cosmosdb-account";
import { CosmosdbSqlContainer } from "@cdktf/provider-azurerm/lib/cosmosdb-sql-container";
import { CosmosdbSqlDatabase } from "@cdktf/provider-azurerm/lib/cosmosdb-sql-database";
import { CosmosdbSqlRoleAssignment } from "@cdktf/provider-azurerm/lib/cosmosdb-sql-role-assignment";
import { CosmosdbSqlRoleDefinition } from "@cdktf/provider-azurerm/lib/cosmosdb-sql-role-definition";
import { Construct } from "constructs";
import { CORS_MAX_AGE_SECONDS, platformOrigins } from "./cors";
import type { Grantee } from "./role-assignments";
import { FLUID_OWNERS_CONTAINER, FLUID_OWNERS_PARTITION_KEY } from "../policy/runtime/document-owner";

/** Built-in data-plane roles (learn.microsoft.com/azure/cosmos-db/how-to-setup-rbac). */
const BUILT_IN_DATA_ROLE = {
  reader: "00000000-0000-0000-0000-000000000001",
  contributor: "00000000-0000-0000-0000-000000000002",
};

export type CosmosCapacity = { mode: "serverless" } | { mode: "autoscale"; maxThroughput: number };

export interface CosmosDbProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly database: string;
  readonly capacity: CosmosCapacity;
  /**
   * Keep account-key (local) authentication. Resource tokens are minted with the account key, and an account with
   * local auth disabled rejects them; everything else should use Entra RBAC.
   * @default false (local auth disabled)
   */
  readonly keyAuthentication?: boolean;
  /**
   * Reachable from public networks. Off only when no client outside the network uses the account: browser and mobile
   * clients with resource tokens reach Cosmos DB directly. @default true
   */
  readonly publicNetworkAccess?: boolean;
  /** Web origins whose pages use the Cosmos SDK directly (resource tokens). @default none: no cors_rule */
  readonly allowedOrigins?: string[];
  readonly tags: Record<string, string>;
}

export interface DataAccess {
  /** A built-in role, or the data actions of a custom role. */
  readonly role: "reader" | "contributor" | { dataActions: string[] };
  readonly scope: "account" | "database" | { container: string };
}

export class CosmosDb extends Construct {
  readonly account: CosmosdbAccount;
  readonly database: CosmosdbSqlDatabase;
  readonly endpoint: string;
  private readonly containers = new Map<string, CosmosdbSqlContainer>();

  constructor(
    scope: Construct,
    id: string,
    private readonly props: CosmosDbProps,
  ) {
    super(scope, id);
    if (props.capacity.mode === "autoscale" && props.capacity.maxThroughput % 1000 !== 0) {
      throw new Error(
        `CosmosDbProps.capacity.maxThroughput must be a multiple of 1000, got ${props.capacity.maxThroughput}`,
      );
    }
    const origins = platformOrigins(this, props.allowedOrigins, "Cosmos DB cors_rule");
    this.account = new CosmosdbAccount(this, "account", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      offerType: "Standard",
      kind: "GlobalDocumentDB",
      consistencyPolicy: { consistencyLevel: "Session" },
      geoLocation: [{ location: props.location, failoverPriority: 0 }],
      capabilities: props.capacity.mode === "serverless" ? [{ name: "EnableServerless" }] : [],
      localAuthenticationDisabled: !props.keyAuthentication,
      minimalTlsVersion: "Tls12",
      accessKeyMetadataWritesEnabled: false,
      ...(props.publicNetworkAccess === false && { publicNetworkAccessEnabled: false }),
      // The browser SDK sends many x-ms-* headers and reads several back: headers are not where CORS protects.
      ...(origins.length > 0 && {
        corsRule: {
          allowedOrigins: origins,
          allowedMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
          allowedHeaders: ["*"],
          exposedHeaders: ["*"],
          maxAgeInSeconds: CORS_MAX_AGE_SECONDS,
        },
      }),
      tags: props.tags,
    });
    this.database = new CosmosdbSqlDatabase(this, "database", {
      name: props.database,
      accountName: this.account.name,
      resourceGroupName: props.resourceGroupName,
    });
    this.endpoint = this.account.endpoint;
  }

  /** The account key, for the broker's Key Vault secret. Sensitive in Terraform state. */
  get primaryKey(): string {
    return this.account.primaryKey;
  }

  addContainer(name: string, partitionKeyPath: string): CosmosdbSqlContainer {
    if (this.containers.has(name)) throw new Error(`container '${name}' is added twice`);
    const autoscale =
      this.props.capacity.mode === "autoscale"
        ? { autoscaleSettings: { maxThroughput: this.props.capacity.maxThroughput } }
        : {};
    const container = new CosmosdbSqlContainer(this, `container-${name}`, {
      name,
      accountName: this.account.name,
      databaseName: this.database.name,
      resourceGroupName: this.props.resourceGroupName,
      partitionKeyPaths: [partitionKeyPath],
      partitionKeyVersion: 2,
      ...autoscale,
    });
    this.containers.set(name, container);
    return container;
  }

  /**
   * The Fluid owner registry (functions-src/fluid-owners): its own container, and for the broker a custom role on
   * that container alone that reads, creates and deletes items (no replace, upsert or query: a record, once written,
   * is never rewritten). The container is not a policy container, so no resource token can ever name it.
   */
  addFluidOwnerRegistry(broker: Grantee): CosmosdbSqlContainer {
    const container = this.addContainer(FLUID_OWNERS_CONTAINER, FLUID_OWNERS_PARTITION_KEY);
    const items = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items";
    this.grantDataAccess(broker, {
      role: {
        dataActions: [
          "Microsoft.DocumentDB/databaseAccounts/readMetadata",
          `${items}/read`,
          `${items}/create`,
          `${items}/delete`,
        ],
      },
      scope: { container: FLUID_OWNERS_CONTAINER },
    });
    return container;
  }

  /** Entra data-plane access (Cosmos SQL RBAC): no keys involved. */
  grantDataAccess(grantee: Grantee, access: DataAccess): CosmosdbSqlRoleAssignment {
    const id = grantee.granteeName;
    const scope = this.scopeId(access.scope);
    let roleDefinitionId: string;
    if (typeof access.role === "string") {
      roleDefinitionId = `${this.account.id}/sqlRoleDefinitions/${BUILT_IN_DATA_ROLE[access.role]}`;
    } else {
      roleDefinitionId = new CosmosdbSqlRoleDefinition(this, `role-${id}`, {
        name: `${id} (custom)`,
        accountName: this.account.name,
        resourceGroupName: this.props.resourceGroupName,
        type: "CustomRole",
        assignableScopes: [scope],
        permissions: [{ dataActions: access.role.dataActions }],
      }).id;
    }
    return new CosmosdbSqlRoleAssignment(this, `assignment-${id}`, {
      accountName: this.account.name,
      resourceGroupName: this.props.resourceGroupName,
      principalId: grantee.principalId,
      roleDefinitionId,
      scope,
    });
  }

  private scopeId(scope: DataAccess["scope"]): string {
    if (scope === "account") return this.account.id;
    const db = `${this.account.id}/dbs/${this.props.database}`;
    if (scope === "database") return db;
    if (!this.containers.has(scope.container))
      throw new Error(`grantDataAccess: container '${scope.container}' is not part of this account`);
    return `${db}/colls/${scope.container}`;
  }
}
