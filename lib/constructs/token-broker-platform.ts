/**
 * Everything one environment needs, derived from the compiled policy's infrastructure needs, so infrastructure and
 * broker cannot disagree: Cosmos local auth follows whether resource tokens are minted, RBAC assignments come from
 * `cosmosRbac`, Front Door routes and WAF rules from the CDN prefixes and edge rules.
 */
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Construct } from "constructs";
import type { InfraNeeds } from "../policy/authoring/infra-needs";
import { BrokerFunction } from "./broker-function";
import { CosmosDb } from "./cosmos-db";
import { FluidRelay } from "./fluid-relay";
import { FrontDoor } from "./front-door";
import { KeyVault } from "./key-vault";
import { resourceName, type NamingContext } from "./naming";
import { Observability } from "./observability";
import { BUILT_IN_ROLE } from "./role-assignments";
import { BrokerStorage } from "./storage";

export interface PlatformSettings {
  location: string;
  workload: string;
  stage: "ephemeral" | "development" | "production";
  frontDoorSku: "Standard_AzureFrontDoor" | "Premium_AzureFrontDoor";
  cosmosAutoscaleMaxThroughput: number;
  easyAuthClientId?: string;
  /** Path of the broker package (zip) to deploy; none: deploy the code separately. */
  packagePath?: string;
}

export interface TokenBrokerPlatformProps {
  readonly environment: string;
  readonly settings: PlatformSettings;
  readonly infra: InfraNeeds;
  readonly tags: Record<string, string>;
}

export class TokenBrokerPlatform extends Construct {
  readonly resourceGroup: ResourceGroup;
  readonly broker: BrokerFunction;
  readonly keyVault: KeyVault;
  readonly storage: BrokerStorage;
  readonly cosmos?: CosmosDb;
  readonly fluid?: FluidRelay;
  readonly frontDoor?: FrontDoor;

  constructor(scope: Construct, id: string, props: TokenBrokerPlatformProps) {
    super(scope, id);
    const { settings, infra, tags } = props;
    const naming: NamingContext = { workload: settings.workload, environment: props.environment };
    const name = (kind: Parameters<typeof resourceName>[0]) => resourceName(kind, naming);
    const ephemeral = settings.stage === "ephemeral";
    const location = settings.location;

    this.resourceGroup = new ResourceGroup(this, "resource-group", { name: name("resourceGroup"), location, tags });
    const rg = this.resourceGroup.name;
    const observability = new Observability(this, "observability", { workspaceName: name("logAnalytics"), appInsightsName: name("appInsights"), location, resourceGroupName: rg, tags });
    this.storage = new BrokerStorage(this, "storage", { name: name("storageAccount"), location, resourceGroupName: rg, replication: ephemeral ? "LRS" : "ZRS", allowedOrigins: infra.cdn ? infra.allowedOrigins : [], tags });
    this.keyVault = new KeyVault(this, "key-vault", {
      name: name("keyVault"),
      location,
      resourceGroupName: rg,
      purgeProtection: !ephemeral,
      softDeleteRetentionDays: ephemeral ? 7 : 90,
      tags,
    });

    const appSettings: Record<string, string> = {
      TOKEN_BROKER_ENVIRONMENT: props.environment,
      TOKEN_BROKER_POLICY_HASH: infra.policyHash,
      CDN_SIGNING: "user-delegation",
    };

    if (infra.cosmos) {
      const cosmos = new CosmosDb(this, "cosmos", {
        name: name("cosmosAccount"),
        location,
        resourceGroupName: rg,
        database: infra.cosmos.database,
        capacity: ephemeral ? { mode: "serverless" } : { mode: "autoscale", maxThroughput: settings.cosmosAutoscaleMaxThroughput },
        keyAuthentication: !infra.cosmos.localAuthenticationDisabled,
        allowedOrigins: infra.allowedOrigins,
        tags,
      });
      for (const c of infra.cosmos.containers) cosmos.addContainer(c.name, c.partitionKeyPath);
      for (const a of infra.cosmos.rbac) {
        cosmos.grantDataAccess(a.name, {
          principalId: a.principalId,
          role: a.role ?? { dataActions: a.dataActions! },
          scope: a.scope === "container" ? { container: a.container! } : a.scope,
        });
      }
      appSettings.COSMOS_ENDPOINT = cosmos.endpoint;
      appSettings.COSMOS_DATABASE = infra.cosmos.database;
      if (infra.cosmos.mintsResourceTokens) appSettings.COSMOS_KEY = KeyVault.reference(this.keyVault.addSecret("cosmos-key", "cosmos-account-key", cosmos.primaryKey));
      this.cosmos = cosmos;
    }

    if (infra.fluid) {
      const fluid = new FluidRelay(this, "fluid", { name: name("fluidRelay"), location, resourceGroupName: rg, tags });
      appSettings.FLUID_TENANT_ID = fluid.tenantId;
      appSettings.FLUID_ORDERER_ENDPOINT = fluid.ordererEndpoint;
      appSettings.FLUID_STORAGE_ENDPOINT = fluid.storageEndpoint;
      if (infra.fluid.mintsTokens) {
        // Both keys live in the vault; the broker signs with the active one, so rotation needs no redeploy.
        appSettings.FLUID_KEY1 = KeyVault.reference(this.keyVault.addSecret("fluid-key1", "fluid-key1", fluid.primaryKey));
        appSettings.FLUID_KEY2 = KeyVault.reference(this.keyVault.addSecret("fluid-key2", "fluid-key2", fluid.secondaryKey));
      }
      this.fluid = fluid;
    }

    if (infra.cdn) {
      this.frontDoor = new FrontDoor(this, "front-door", {
        profileName: name("frontDoorProfile"),
        endpointName: name("frontDoorEndpoint"),
        wafPolicyName: name("wafPolicy"),
        resourceGroupName: rg,
        sku: settings.frontDoorSku,
        originHost: this.storage.blobHost,
        originContainer: this.storage.originContainer.name,
        prefixes: infra.cdn.prefixes,
        denialStatus: infra.cdn.denialStatus,
        allowedOrigins: infra.allowedOrigins,
        tags,
      });
      appSettings.CDN_ENDPOINT = `https://${this.frontDoor.hostName}`;
      appSettings.CDN_ORIGIN_CONTAINER_URL = this.storage.containerUrl(this.storage.originContainer);
    }

    this.broker = new BrokerFunction(this, "broker", {
      name: name("functionApp"),
      planName: name("servicePlan"),
      location,
      resourceGroupName: rg,
      storage: this.storage,
      easyAuth: { issuers: infra.issuers, entraClientId: settings.easyAuthClientId },
      appSettings,
      appInsightsConnectionString: observability.connectionString,
      packagePath: settings.packagePath,
      allowedOrigins: infra.allowedOrigins,
      tags,
    });
    const principal = this.broker.principalId;
    this.keyVault.grantSecretsRead("broker", principal);
    this.storage.grant("broker-deployment", principal, BUILT_IN_ROLE.storageBlobDataOwner, this.storage.deploymentContainer);
    if (infra.cdn) this.storage.grantSigning("broker", principal);
    observability.grantPublish("broker", principal);
  }
}
