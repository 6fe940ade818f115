/** Azure Fluid Relay server. Its two keys are the broker's signing keys (key1/key2 rotation). */
import { Fn } from "cdktf";
import { FluidRelayServer } from "@cdktf/provider-azurerm/lib/fluid-relay-server";
import { Construct } from "constructs";

export interface FluidRelayProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /** @default "standard" */
  readonly storageSku?: "standard" | "basic";
  readonly tags: Record<string, string>;
}

export class FluidRelay extends Construct {
  readonly server: FluidRelayServer;
  /** The Fluid tenant id clients and tokens name. */
  readonly tenantId: string;
  /**
   * The service endpoint clients and the broker name. azure-client 1.0+ takes only this one; the orderer and storage
   * endpoints are for earlier clients (learn.microsoft.com/azure/azure-fluid-relay/concepts/version-compatibility).
   * azurerm exposes it as `service_endpoints` (internal/services/fluidrelay/fluid_relay_server_resource.go:36,142 at
   * v4.55.0).
   */
  readonly serviceEndpoint: string;

  constructor(scope: Construct, id: string, props: FluidRelayProps) {
    super(scope, id);
    this.server = new FluidRelayServer(this, "server", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      storageSku: props.storageSku ?? "standard",
      identity: { type: "SystemAssigned" },
      tags: props.tags,
    });
    this.tenantId = this.server.frsTenantId;
    this.serviceEndpoint = Fn.element(this.server.serviceEndpoints, 0);
  }

  get primaryKey(): string {
    return this.server.primaryKey;
  }

  get secondaryKey(): string {
    return this.server.secondaryKey;
  }
}
