/**
 * The shared store for one environment: Azure Managed Redis, reachable only over a private endpoint, Entra
 * authentication only (access keys off), TLS only, AOF persistence so a restart keeps the revocation deny-list.
 * Provisioned only when the policy turns on revocation or a global rate limit (InfraNeeds.sharedStore).
 *
 * The broker's identity gets data access through an access policy assignment (policy "default", the only one Azure
 * Managed Redis offers: learn.microsoft.com/azure/templates/microsoft.cache/2025-04-01/redisenterprise/databases/
 * accesspolicyassignments). azurerm 4.55 has no resource for it (hashicorp/terraform-provider-azurerm#30938; the
 * `azurerm_managed_redis_access_policy_assignment` of PR #30980 came later), so it is an ARM template deployment,
 * which a move to a newer provider can replace one for one.
 */
import { ManagedRedis } from "@cdktf/provider-azurerm/lib/managed-redis";
import { ResourceGroupTemplateDeployment } from "@cdktf/provider-azurerm/lib/resource-group-template-deployment";
import type { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import type { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { Construct } from "constructs";
import { PrivateNetwork } from "./private-network";
import type { Grantee } from "./role-assignments";

export interface SharedStoreProps {
  readonly name: string;
  readonly networkName: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly tags: Record<string, string>;
  /** @default "Balanced_B0" (the smallest: a deny-list and counters are small) */
  readonly skuName?: string;
  /** Two nodes with replication. @default true */
  readonly highAvailability?: boolean;
  /** @default "10.42.0.0/24" (split into the private-endpoint and the function-integration subnets) */
  readonly addressSpace?: string;
  /** The environment's private network, when it has one: the store's endpoint joins it. @default its own network */
  readonly network?: PrivateNetwork;
}

/** Azure Managed Redis' TLS port (learn.microsoft.com/azure/redis/entra-for-authentication). */
export const MANAGED_REDIS_PORT = 10000;

export class SharedStore extends Construct {
  readonly redis: ManagedRedis;
  readonly network: VirtualNetwork;
  /** Delegated to Microsoft.App/environments: the Flex Consumption app's outbound VNet integration. */
  readonly integrationSubnet: Subnet;
  private readonly props: SharedStoreProps;

  constructor(scope: Construct, id: string, props: SharedStoreProps) {
    super(scope, id);
    this.props = props;
    // Without the environment's private network the store brings its own: the same construct (an endpoint subnet,
    // a subnet delegated to the Function App's VNet integration, privatelink DNS), holding only the store's endpoint.
    const network =
      props.network ??
      new PrivateNetwork(this, "private-network", {
        name: props.networkName,
        location: props.location,
        resourceGroupName: props.resourceGroupName,
        addressSpace: props.addressSpace,
        tags: props.tags,
      });
    this.network = network.network;
    this.integrationSubnet = network.integrationSubnet;
    this.redis = this.createRedis(props);
    network.addEndpoint("redis", props.name, this.redis.id, "redisEnterprise");
  }

  private createRedis(props: SharedStoreProps): ManagedRedis {
    return new ManagedRedis(this, "redis", {
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      name: props.name,
      skuName: props.skuName ?? "Balanced_B0",
      highAvailabilityEnabled: props.highAvailability ?? true,
      publicNetworkAccess: "Disabled",
      defaultDatabase: {
        accessKeysAuthenticationEnabled: false,
        clientProtocol: "Encrypted",
        // One endpoint that behaves like a single server, so a non-cluster client (and MGET) works.
        clusteringPolicy: "EnterpriseCluster",
        // Nothing may be evicted: an evicted revocation would silently un-revoke a caller.
        evictionPolicy: "NoEviction",
        persistenceAppendOnlyFileBackupFrequency: "1s",
      },
      tags: props.tags,
    });
  }

  /** What the broker puts in SHARED_STORE_URL. */
  get url(): string {
    return `rediss://${this.redis.hostname}:${MANAGED_REDIS_PORT}`;
  }

  /** Data access for an Entra principal (its object id) through the "default" access policy. */
  grantDataAccess(grantee: Grantee): ResourceGroupTemplateDeployment {
    const { granteeName, principalId } = grantee;
    const template = {
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      parameters: { cluster: { type: "string" }, principalId: { type: "string" }, assignment: { type: "string" } },
      resources: [
        {
          type: "Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments",
          apiVersion: "2025-04-01",
          name: "[format('{0}/default/{1}', parameters('cluster'), parameters('assignment'))]",
          properties: { accessPolicyName: "default", user: { objectId: "[parameters('principalId')]" } },
        },
      ],
    };
    return new ResourceGroupTemplateDeployment(this, `access-${granteeName}`, {
      name: `${this.props.name}-access-${granteeName}`,
      resourceGroupName: this.props.resourceGroupName,
      deploymentMode: "Incremental",
      templateContent: JSON.stringify(template),
      // Assignment names allow letters and digits only (1-60).
      parametersContent: JSON.stringify({
        cluster: { value: this.redis.name },
        principalId: { value: principalId },
        assignment: { value: granteeName.replace(/[^A-Za-z0-9]/g, "").slice(0, 60) },
      }),
      tags: this.props.tags,
    });
  }
}
