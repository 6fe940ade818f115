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
  readonly ordererEndpoint: string;
  readonly storageEndpoint: string;

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
    this.ordererEndpoint = Fn.element(this.server.ordererEndpoints, 0);
    this.storageEndpoint = Fn.element(this.server.storageEndpoints, 0);
  }

  get primaryKey(): string {
    return this.server.primaryKey;
  }

  get secondaryKey(): string {
    return this.server.secondaryKey;
  }
}
