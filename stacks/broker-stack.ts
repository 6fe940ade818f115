/** One environment: provider, state backend, the platform, outputs, and the secure-default checks at synth. */
import { AssetType, AzurermBackend, LocalBackend, TerraformAsset, TerraformOutput, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import type { Construct } from "constructs";
import type { CompiledPolicy } from "../lib/policy/authoring/compile";
import type { ResolvedEnvironment } from "../lib/policy/authoring/environments";
import type { AzureEnvironmentSource } from "../lib/policy/authoring/source-types";
import { checkSecureDefaults, SecureDefaultsError, type Suppression, type TerraformJson } from "../lib/constructs/secure-defaults";
import { TokenBrokerPlatform } from "../lib/constructs/token-broker-platform";

export interface BrokerStackProps {
  readonly environment: ResolvedEnvironment;
  readonly azure: AzureEnvironmentSource;
  readonly compiled: CompiledPolicy;
  /** Clock for the ephemeral `expires-on` tag (tests pin it). @default now */
  readonly now?: Date;
  /** The broker package (lib/constructs/broker-package.ts) to deploy with the app; built by stacks/main.ts. */
  readonly packagePath?: string;
}

export class BrokerStack extends TerraformStack {
  readonly platform: TokenBrokerPlatform;
  private readonly suppressions: Suppression[] = [];

  constructor(scope: Construct, id: string, private readonly props: BrokerStackProps) {
    super(scope, id);
    const { environment: env, azure, compiled } = props;
    new AzurermProvider(this, "azurerm", {
      features: [{ keyVault: [{ purgeSoftDeleteOnDestroy: env.stage === "ephemeral", recoverSoftDeletedKeyVaults: true }] }],
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
      owner: azure.owner ?? "platform",
      "policy-hash": compiled.config.policyHash,
      "managed-by": "cdktf",
    };
    if (env.stage === "ephemeral") {
      const days = azure.expiresAfterDays ?? 7;
      tags["expires-on"] = new Date((props.now ?? new Date()).getTime() + days * 86400_000).toISOString().slice(0, 10);
    }
    // Terraform copies the package into the stack's assets and deploys it with the app (zip_deploy_file).
    const packageAsset = props.packagePath ? new TerraformAsset(this, "broker-package", { path: props.packagePath, type: AssetType.FILE }) : undefined;
    this.platform = new TokenBrokerPlatform(this, "platform", {
      environment: env.name,
      settings: {
        location: azure.location ?? "westeurope",
        workload: azure.workload ?? "tb",
        stage: env.stage,
        frontDoorSku: azure.frontDoorSku ?? "Standard_AzureFrontDoor",
        cosmosAutoscaleMaxThroughput: azure.cosmosAutoscaleMaxThroughput ?? 1000,
        easyAuthClientId: azure.easyAuthClientId,
        packagePath: packageAsset?.path,
      },
      infra: compiled.infra,
      tags,
    });
    const p = this.platform;
    new TerraformOutput(this, "broker_url", { value: p.broker.tokenUrl, description: "POST here with a bearer token" });
    new TerraformOutput(this, "policy_hash", { value: compiled.config.policyHash });
    if (p.frontDoor) new TerraformOutput(this, "cdn_endpoint", { value: `https://${p.frontDoor.hostName}` });
    if (p.cosmos) new TerraformOutput(this, "cosmos_endpoint", { value: p.cosmos.endpoint });
    if (p.fluid) {
      new TerraformOutput(this, "fluid_endpoint", { value: p.fluid.ordererEndpoint });
      new TerraformOutput(this, "fluid_tenant_id", { value: p.fluid.tenantId });
    }
  }

  /** Accept one rule's finding on one resource; the reason is part of the stack and its review. */
  suppress(rule: string, resource: string, reason: string): void {
    if (reason.trim().length < 10) throw new Error(`suppressing ${rule} on ${resource} needs a reason a reviewer can judge`);
    this.suppressions.push({ rule, resource, reason });
  }

  override toTerraform(): any {
    const json = super.toTerraform() as TerraformJson;
    const violations = checkSecureDefaults(json, { stage: this.props.environment.stage, infra: this.props.compiled.infra }, this.suppressions);
    if (violations.length > 0) throw new SecureDefaultsError(this.node.id, violations);
    return json;
  }
}
