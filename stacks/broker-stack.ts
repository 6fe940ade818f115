/** One environment: provider, state backend, the platform, outputs, and the secure-default checks at synth. */
import { AssetType, AzurermBackend, LocalBackend, TerraformAsset, TerraformOutput, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import type { Construct } from "constructs";
import type { InfraNeeds } from "../lib/policy/authoring/infra-needs";
import { SecureDefaults } from "../lib/constructs/secure-defaults";
import { TokenBrokerPlatform } from "../lib/constructs/token-broker-platform";

export interface BrokerStackProps {
  /** The compiled policy's infrastructure needs for this environment (the whole policy-to-stack contract). */
  readonly infra: InfraNeeds;
  /** Clock for the ephemeral `expires-on` tag (tests pin it). @default now */
  readonly now?: Date;
  /**
   * The broker package (stacks/broker-package.ts), built by stacks/main.ts. Synthesis copies it into the stack's
   * directory (cdktf.out/stacks/<stack>/assets/broker-package/<hash>/) and the `broker_package` output names it, so
   * `token-broker deploy publish` publishes exactly what this synthesis built. No resource deploys it.
   */
  readonly packagePath?: string;
  /** TokenBrokerPlatformProps.network. @default "public" */
  readonly network?: "public" | "private";
}

export class BrokerStack extends TerraformStack {
  readonly platform: TokenBrokerPlatform;
  private readonly secureDefaults: SecureDefaults;

  constructor(scope: Construct, id: string, props: BrokerStackProps) {
    super(scope, id);
    const { infra } = props;
    const env = infra.environment;
    const azure = infra.azure;
    new AzurermProvider(this, "azurerm", {
      features: [
        {
          keyVault: [{ purgeSoftDeleteOnDestroy: env.stage === "ephemeral", recoverSoftDeletedKeyVaults: true }],
          // With shared keys off, azurerm's storage account create waits on the queue, file and static-website data
          // planes and its read fetches queue and static-website properties there (storage_account_resource.go:
          // 1547-1559, 2327-2370; storage_account_data_plane_helpers.go:59 at v4.55.0), as the deployer, who holds
          // no data role on the new account: 403. The stack sets none of those data-plane properties, and containers
          // go through ARM (storage_account_id; storage_container_resource.go:182), so the data plane stays off.
          storage: [{ dataPlaneAvailable: false }],
        },
      ],
      // Storage has shared-key access off, so the provider must use Entra for blob containers.
      storageUseAzuread: true,
    });
    // time_sleep: the wait for RBAC propagation before Key Vault secrets (lib/constructs/key-vault.ts).
    new TimeProvider(this, "time");
    if (azure.state) {
      new AzurermBackend(this, {
        resourceGroupName: azure.state.resourceGroup,
        storageAccountName: azure.state.storageAccount,
        containerName: azure.state.container,
        // One state blob per pull request (`pr-42.tfstate`), so the close and the expiry jobs find it.
        key: env.stage === "ephemeral" ? `${env.name}.tfstate` : `${id}.tfstate`,
        useAzureadAuth: true,
      });
    } else {
      new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    }
    const tags: Record<string, string> = {
      env: env.name,
      owner: azure.owner,
      "policy-hash": infra.policyHash,
      "managed-by": "cdktf",
      // The expiry sweep selects by name AND this tag: another repository's `rg-docs-pr-7` is never its to destroy.
      ...(azure.repository && { repository: azure.repository }),
    };
    if (env.stage === "ephemeral") {
      const expires = (props.now ?? new Date()).getTime() + azure.expiresAfterDays * 86400_000;
      tags["expires-on"] = new Date(expires).toISOString().slice(0, 10);
    }
    const packageAsset = props.packagePath
      ? new TerraformAsset(this, "broker-package", { path: props.packagePath, type: AssetType.FILE })
      : undefined;
    this.platform = new TokenBrokerPlatform(this, "platform", { infra, network: props.network, tags });
    // Registered as a construct validation: `app.synth()` (and so `cdktf synth`) runs it before writing anything.
    this.secureDefaults = new SecureDefaults(this, { stage: env.stage, infra });
    const p = this.platform;
    new TerraformOutput(this, "broker_url", { value: p.broker.tokenUrl, description: "POST here with a bearer token" });
    new TerraformOutput(this, "policy_hash", { value: infra.policyHash });
    // What `token-broker deploy publish --outputs` reads to find the app, publish to it and restart it.
    const client = new DataAzurermClientConfig(this, "deployer");
    new TerraformOutput(this, "function_app_name", { value: p.broker.app.name });
    new TerraformOutput(this, "resource_group_name", { value: p.resourceGroup.name });
    new TerraformOutput(this, "subscription_id", { value: client.subscriptionId });
    if (packageAsset) {
      new TerraformOutput(this, "broker_package", {
        value: packageAsset.path,
        description: "the package, relative to this stack's directory under cdktf.out",
      });
    }
    if (p.frontDoor) new TerraformOutput(this, "cdn_endpoint", { value: `https://${p.frontDoor.hostName}` });
    if (p.cosmos) new TerraformOutput(this, "cosmos_endpoint", { value: p.cosmos.endpoint });
    if (p.fluid) {
      new TerraformOutput(this, "fluid_endpoint", { value: p.fluid.serviceEndpoint });
      new TerraformOutput(this, "fluid_tenant_id", { value: p.fluid.tenantId });
    }
  }

  /** Accept one rule's finding on one resource; the reason is part of the stack and its review. */
  suppress(rule: string, resource: string, reason: string): void {
    this.secureDefaults.suppress(rule, resource, reason);
  }
}
