/**
 * The private variant of an environment (TokenBrokerPlatformProps.network = "private"): one virtual network with a
 * subnet for private endpoints and one delegated to Microsoft.App/environments for the Flex Consumption app's
 * outbound VNet integration (learn.microsoft.com/azure/azure-functions/flex-consumption-plan, "Virtual network
 * integration"), and per service a private endpoint with its privatelink DNS zone linked to the network
 * (learn.microsoft.com/azure/private-link/private-endpoint-dns: privatelink.vaultcore.azure.net for `vault`,
 * privatelink.blob.core.windows.net for `blob`, privatelink.documents.azure.com for `Sql`).
 * The services themselves turn public network access off (key-vault.ts, storage.ts, cosmos-db.ts).
 */
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { PrivateEndpoint } from "@cdktf/provider-azurerm/lib/private-endpoint";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { Construct } from "constructs";

export interface PrivateNetworkProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /** @default "10.42.0.0/24": private endpoints in .0/26, the Function App's integration in .64/26 */
  readonly addressSpace?: string;
  readonly tags: Record<string, string>;
}

/** Private DNS zone per private-endpoint sub-resource (Azure public cloud). */
export const PRIVATE_DNS_ZONE = {
  vault: "privatelink.vaultcore.azure.net",
  blob: "privatelink.blob.core.windows.net",
  Sql: "privatelink.documents.azure.com",
  redisEnterprise: "privatelink.redis.azure.net",
} as const;

export type PrivateSubresource = keyof typeof PRIVATE_DNS_ZONE;

export class PrivateNetwork extends Construct {
  readonly network: VirtualNetwork;
  readonly endpointSubnet: Subnet;
  /** Delegated to Microsoft.App/environments: the Flex Consumption app's outbound VNet integration. */
  readonly integrationSubnet: Subnet;
  private readonly zones = new Map<PrivateSubresource, PrivateDnsZone>();

  constructor(
    scope: Construct,
    id: string,
    private readonly props: PrivateNetworkProps,
  ) {
    super(scope, id);
    const space = props.addressSpace ?? "10.42.0.0/24";
    const base = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(space)?.[1];
    if (!base) throw new Error(`PrivateNetworkProps.addressSpace must be a /24 (x.y.z.0/24), got '${space}'`);
    this.network = new VirtualNetwork(this, "network", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      addressSpace: [space],
      tags: props.tags,
    });
    this.endpointSubnet = new Subnet(this, "endpoints", {
      name: "private-endpoints",
      resourceGroupName: props.resourceGroupName,
      virtualNetworkName: this.network.name,
      addressPrefixes: [`${base}.0/26`],
    });
    this.integrationSubnet = new Subnet(this, "integration", {
      name: "function-integration",
      resourceGroupName: props.resourceGroupName,
      virtualNetworkName: this.network.name,
      addressPrefixes: [`${base}.64/26`],
      delegation: [
        {
          name: "flex-consumption",
          serviceDelegation: {
            name: "Microsoft.App/environments",
            actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"],
          },
        },
      ],
    });
  }

  /** A private endpoint for one sub-resource of a service, registered in its privatelink zone. */
  addEndpoint(id: string, resourceName: string, resourceId: string, subresource: PrivateSubresource): PrivateEndpoint {
    const zone = this.zone(subresource);
    return new PrivateEndpoint(this, `endpoint-${id}`, {
      name: `pe-${resourceName}`,
      location: this.props.location,
      resourceGroupName: this.props.resourceGroupName,
      subnetId: this.endpointSubnet.id,
      privateServiceConnection: {
        name: subresource,
        privateConnectionResourceId: resourceId,
        subresourceNames: [subresource],
        isManualConnection: false,
      },
      privateDnsZoneGroup: { name: subresource, privateDnsZoneIds: [zone.id] },
      tags: this.props.tags,
    });
  }

  private zone(subresource: PrivateSubresource): PrivateDnsZone {
    let zone = this.zones.get(subresource);
    if (!zone) {
      zone = new PrivateDnsZone(this, `dns-${subresource}`, {
        name: PRIVATE_DNS_ZONE[subresource],
        resourceGroupName: this.props.resourceGroupName,
        tags: this.props.tags,
      });
      new PrivateDnsZoneVirtualNetworkLink(this, `dns-link-${subresource}`, {
        name: `${this.props.name}-${subresource.toLowerCase()}`,
        resourceGroupName: this.props.resourceGroupName,
        privateDnsZoneName: zone.name,
        virtualNetworkId: this.network.id,
        tags: this.props.tags,
      });
      this.zones.set(subresource, zone);
    }
    return zone;
  }
}
