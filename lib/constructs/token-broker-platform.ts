/**
 * Everything one environment needs, derived from the compiled policy's infrastructure needs, so infrastructure and
 * broker cannot disagree: Cosmos local auth follows whether resource tokens are minted, RBAC assignments come from
 * `cosmosRbac`, Front Door routes and WAF rules from the CDN prefixes and edge rules.
 */
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Construct } from "constructs";
import { APP_SETTING, type InfraNeeds } from "../policy/authoring/infra-needs";
import { BrokerFunction } from "./broker-function";
import { CosmosDb } from "./cosmos-db";
import { FluidRelay } from "./fluid-relay";
import { FrontDoor, frontDoorPolicyProps } from "./front-door";
import { KeyVault } from "./key-vault";
import { resourceName, type NamingContext } from "./naming";
import { Observability } from "./observability";
import { PrivateNetwork } from "./private-network";
import { SharedStore } from "./shared-store";
import { BrokerStorage } from "./storage";

export interface TokenBrokerPlatformProps {
  /** The environment's needs and Azure settings, resolved by the policy compiler. */
  readonly infra: InfraNeeds;
  /**
   * "private": Key Vault and the storage account take no public traffic (private endpoints in one VNet, privatelink
   * DNS zones), the Function App reaches them through VNet integration, and Front Door reaches the CDN origin over
   * Private Link (Premium only; approve the connection on the storage account once). Cosmos DB goes private too when
   * the policy mints no resource tokens; with resource tokens, browser and mobile clients call Cosmos DB directly,
   * so it stays public. Fluid Relay has no private endpoint. Not the default, production included: azurerm writes
   * Key Vault secrets on the data plane, so `cdktf deploy` must then run from inside the network (a self-hosted
   * runner in the VNet or a peered one), which the shipped GitHub workflows, on GitHub-hosted runners, do not.
   * @default "public"
   */
  readonly network?: "public" | "private";
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
  /** Only when the policy needs shared state and the environment is not ephemeral (ephemeral: in-memory store). */
  readonly sharedStore?: SharedStore;
  /** Only with `network: "private"`. */
  readonly privateNetwork?: PrivateNetwork;

  constructor(scope: Construct, id: string, props: TokenBrokerPlatformProps) {
    super(scope, id);
    const { infra, tags } = props;
    const settings = infra.azure;
    const naming: NamingContext = { workload: settings.workload, environment: infra.environment.name };
    const name = (kind: Parameters<typeof resourceName>[0]) => resourceName(kind, naming);
    const ephemeral = infra.environment.stage === "ephemeral";
    const location = settings.location;
    const isPrivate = props.network === "private";
    if (props.network !== undefined && props.network !== "public" && !isPrivate)
      throw new Error(`TokenBrokerPlatformProps.network must be "public" or "private", got '${String(props.network)}'`);

    this.resourceGroup = new ResourceGroup(this, "resource-group", { name: name("resourceGroup"), location, tags });
    const rg = this.resourceGroup.name;
    if (isPrivate) {
      this.privateNetwork = new PrivateNetwork(this, "network", {
        name: name("virtualNetwork"),
        location,
        resourceGroupName: rg,
        tags,
      });
    }
    const net = this.privateNetwork;
    const observability = new Observability(this, "observability", {
      workspaceName: name("logAnalytics"),
      appInsightsName: name("appInsights"),
      location,
      resourceGroupName: rg,
      tags,
    });
    this.storage = new BrokerStorage(this, "storage", {
      name: name("storageAccount"),
      location,
      resourceGroupName: rg,
      replication: ephemeral ? "LRS" : "ZRS",
      allowedOrigins: infra.cdn ? infra.allowedOrigins : [],
      publicNetworkAccess: !isPrivate,
      tags,
    });
    net?.addEndpoint("storage-blob", this.storage.account.name, this.storage.account.id, "blob");
    this.keyVault = new KeyVault(this, "key-vault", {
      name: name("keyVault"),
      location,
      resourceGroupName: rg,
      purgeProtection: !ephemeral,
      softDeleteRetentionDays: ephemeral ? 7 : 90,
      publicNetworkAccess: !isPrivate,
      tags,
    });
    net?.addEndpoint("key-vault", this.keyVault.vault.name, this.keyVault.vault.id, "vault");

    const appSettings: Record<string, string> = {
      [APP_SETTING.policyHash]: infra.policyHash,
      [APP_SETTING.cdnSigning]: "user-delegation",
    };

    if (infra.cosmos) {
      const cosmos = new CosmosDb(this, "cosmos", {
        name: name("cosmosAccount"),
        location,
        resourceGroupName: rg,
        database: infra.cosmos.database,
        capacity: ephemeral
          ? { mode: "serverless" }
          : { mode: "autoscale", maxThroughput: settings.cosmosAutoscaleMaxThroughput },
        keyAuthentication: !infra.cosmos.localAuthenticationDisabled,
        allowedOrigins: infra.allowedOrigins,
        publicNetworkAccess: !(isPrivate && !infra.cosmos.mintsResourceTokens),
        tags,
      });
      if (net && !infra.cosmos.mintsResourceTokens)
        net.addEndpoint("cosmos", cosmos.account.name, cosmos.account.id, "Sql");
      for (const c of infra.cosmos.containers) cosmos.addContainer(c.name, c.partitionKeyPath);
      for (const a of infra.cosmos.rbac) {
        cosmos.grantDataAccess(
          { granteeName: a.name, principalId: a.principalId },
          {
            role: a.role ?? { dataActions: a.dataActions! },
            scope: a.scope === "container" ? { container: a.container! } : a.scope,
          },
        );
      }
      appSettings[APP_SETTING.cosmosEndpoint] = cosmos.endpoint;
      appSettings[APP_SETTING.cosmosDatabase] = infra.cosmos.database;
      this.cosmos = cosmos;
    }

    if (infra.fluid) {
      const fluid = new FluidRelay(this, "fluid", { name: name("fluidRelay"), location, resourceGroupName: rg, tags });
      appSettings[APP_SETTING.fluidTenantId] = fluid.tenantId;
      appSettings[APP_SETTING.fluidEndpoint] = fluid.serviceEndpoint;
      this.fluid = fluid;
    }

    if (infra.cosmos?.mintsResourceTokens || infra.fluid?.mintsTokens) {
      // Keys: no Key Vault secret from Terraform (a copy in its config and state, and a plan diff after every
      // rotation). `token-broker keys rotate` writes one key document per resource (fluid-keys, cosmos-keys) and the
      // broker reads them itself through its identity, rereading every minute (functions-src/keys); until the first
      // rotation has run the broker answers 503 for those backends, never with a placeholder.
      appSettings[APP_SETTING.keyVaultUrl] = this.keyVault.vault.vaultUri;
      appSettings[APP_SETTING.rotatedKeys] = [
        ...(infra.fluid?.mintsTokens ? ["fluid"] : []),
        ...(infra.cosmos?.mintsResourceTokens ? ["cosmos"] : []),
      ].join(",");
    }

    if (infra.cdn) {
      this.frontDoor = new FrontDoor(this, "front-door", {
        profileName: name("frontDoorProfile"),
        endpointName: name("frontDoorEndpoint"),
        wafPolicyName: name("wafPolicy"),
        resourceGroupName: rg,
        originHost: this.storage.blobHost,
        originContainer: this.storage.originContainer.name,
        ...frontDoorPolicyProps(infra),
        ...(isPrivate && { privateOrigin: { storageAccountId: this.storage.account.id, location } }),
        tags,
      });
      appSettings[APP_SETTING.cdnEndpoint] = `https://${this.frontDoor.hostName}`;
      appSettings[APP_SETTING.cdnOriginContainerUrl] = this.storage.containerUrl(this.storage.originContainer);
    }

    if (infra.sharedStore && !ephemeral) {
      this.sharedStore = new SharedStore(this, "shared-store", {
        name: name("managedRedis"),
        networkName: name("virtualNetwork"),
        location,
        resourceGroupName: rg,
        network: net,
        tags,
      });
      appSettings[APP_SETTING.sharedStoreUrl] = this.sharedStore.url;
      appSettings[APP_SETTING.sharedStoreEntra] = "true";
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
      allowedOrigins: infra.allowedOrigins,
      virtualNetworkSubnetId: net?.integrationSubnet.id,
      tags,
    });
    if (this.sharedStore && !net) this.broker.app.virtualNetworkSubnetId = this.sharedStore.integrationSubnet.id;
    this.sharedStore?.grantDataAccess(this.broker);
    this.keyVault.grantSecretsRead(this.broker);
    if (infra.fluid?.ownerRegistry) {
      if (!this.cosmos)
        throw new Error("resources.fluid.owners needs resources.cosmos: the owner registry is a Cosmos container");
      this.cosmos.addFluidOwnerRegistry(this.broker);
    }
    this.storage.grantHostStorage(this.broker);
    if (infra.cdn) this.storage.grantSigning(this.broker);
    observability.grantPublish(this.broker);
  }
}
