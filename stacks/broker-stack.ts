/** One environment: provider, state backend, the platform, outputs, and the secure-default checks at synth. */
import { AssetType, AzurermBackend, LocalBackend, TerraformAsset, TerraformOutput, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import type { Construct } from "constructs";
import type { InfraNeeds } from "../lib/policy/authoring/infra-needs";
import { SecureDefaults } from "../lib/constructs/secure-defaults";
import { TokenBrokerPlatform } from "../lib/constructs/token-broker-platform";

export interface BrokerStackProps {
  /** The compiled policy's infrastructure needs for this environment (the whole policy-to-stack contract). */
  readonly infra: InfraNeeds;
  /** Clock for the ephemeral `expires-on` tag (tests pin it). @default now */
  readonly now?: Date;
  /** The broker package (stacks/broker-package.ts) to deploy with the app; built by stacks/main.ts. */
  readonly packagePath?: string;
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
        { keyVault: [{ purgeSoftDeleteOnDestroy: env.stage === "ephemeral", recoverSoftDeletedKeyVaults: true }] },
      ],
      // Storage has shared-key access off, so the provider must use Entra for blob containers.
      storageUseAzuread: true,
    });
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
    // Terraform copies the package into the stack's assets and deploys it with the app (zip_deploy_file).
    const packageAsset = props.packagePath
      ? new TerraformAsset(this, "broker-package", { path: props.packagePath, type: AssetType.FILE })
      : undefined;
    this.platform = new TokenBrokerPlatform(this, "platform", { infra, packagePath: packageAsset?.path, tags });
    // Registered as a construct validation: `app.synth()` (and so `cdktf synth`) runs it before writing anything.
    this.secureDefaults = new SecureDefaults(this, { stage: env.stage, infra });
    const p = this.platform;
    new TerraformOutput(this, "broker_url", { value: p.broker.tokenUrl, description: "POST here with a bearer token" });
    new TerraformOutput(this, "policy_hash", { value: infra.policyHash });
    if (p.frontDoor) new TerraformOutput(this, "cdn_endpoint", { value: `https://${p.frontDoor.hostName}` });
    if (p.cosmos) new TerraformOutput(this, "cosmos_endpoint", { value: p.cosmos.endpoint });
    if (p.fluid) {
      new TerraformOutput(this, "fluid_endpoint", { value: p.fluid.ordererEndpoint });
      new TerraformOutput(this, "fluid_tenant_id", { value: p.fluid.tenantId });
    }
  }

  /** Accept one rule's finding on one resource; the reason is part of the stack and its review. */
  suppress(rule: string, resource: string, reason: string): void {
    this.secureDefaults.suppress(rule, resource, reason);
  }
}
