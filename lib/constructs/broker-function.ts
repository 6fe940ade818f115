/**
 * The broker: a Flex Consumption Function App (Node 22) with a system identity, secrets as Key Vault references,
 * and Easy Auth v2 as the first gate. The broker verifies every token itself too: Easy Auth can be off or
 * misconfigured, and no public documentation confirms it blocks unauthenticated callers on Flex Consumption.
 */
import { FunctionAppFlexConsumption } from "@cdktf/provider-azurerm/lib/function-app-flex-consumption";
import { ServicePlan } from "@cdktf/provider-azurerm/lib/service-plan";
import { Construct } from "constructs";
import { NODE_WORKER_ARGUMENTS } from "../../functions-src/memory-budget";
import { platformOrigins } from "./cors";
import { easyAuthSettings, type EasyAuthProps } from "./easy-auth";
import { HOST_STORAGE_SETTING } from "./host-storage";
import type { Grantee } from "./role-assignments";
import type { BrokerStorage } from "./storage";

/** The app setting whose value the Functions host passes to `node` when it starts the language worker. */
export const NODE_ARGUMENTS_SETTING = "languageWorkers__node__arguments";

/**
 * Flex Consumption's scale-out limit as azurerm 4.55 validates it: `maximum_instance_count` IntBetween(40, 1000)
 * (internal/services/appservice/function_app_flex_consumption_resource.go:187-192 at v4.55.0).
 */
export const MAXIMUM_INSTANCE_COUNT = { min: 40, max: 1000 } as const;

export interface BrokerFunctionProps {
  readonly name: string;
  readonly planName: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly storage: BrokerStorage;
  /** Every issuer of the policy gets through the platform gate (see easy-auth.ts), or construction fails. */
  readonly easyAuth: EasyAuthProps;
  /** Plain settings and Key Vault references (`KeyVault.reference`); never a secret literal. */
  readonly appSettings: Record<string, string>;
  readonly appInsightsConnectionString: string;
  /** @default 2048 */
  readonly instanceMemoryInMb?: 512 | 2048 | 4096;
  /** 40..1000 (MAXIMUM_INSTANCE_COUNT). @default 40 */
  readonly maximumInstanceCount?: number;
  /** Outbound VNet integration: a subnet delegated to Microsoft.App/environments. @default none */
  readonly virtualNetworkSubnetId?: string;
  /** Web origins whose pages may call the broker (platform CORS, no credentials). @default none */
  readonly allowedOrigins?: string[];
  readonly tags: Record<string, string>;
}

export class BrokerFunction extends Construct implements Grantee {
  readonly app: FunctionAppFlexConsumption;
  readonly plan: ServicePlan;

  constructor(scope: Construct, id: string, props: BrokerFunctionProps) {
    super(scope, id);
    const max = props.maximumInstanceCount ?? 40;
    const origins = platformOrigins(this, props.allowedOrigins, "Function App CORS");
    if (!Number.isInteger(max) || max < MAXIMUM_INSTANCE_COUNT.min || max > MAXIMUM_INSTANCE_COUNT.max) {
      throw new Error(
        `BrokerFunctionProps.maximumInstanceCount must be an integer ${MAXIMUM_INSTANCE_COUNT.min}..${MAXIMUM_INSTANCE_COUNT.max} (azurerm validates it so), got ${max}`,
      );
    }
    this.plan = new ServicePlan(this, "plan", {
      name: props.planName,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      osType: "Linux",
      skuName: "FC1",
      tags: props.tags,
    });
    this.app = new FunctionAppFlexConsumption(this, "app", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      servicePlanId: this.plan.id,
      runtimeName: "node",
      runtimeVersion: "22",
      storageContainerType: "blobContainer",
      storageContainerEndpoint: props.storage.containerUrl(props.storage.deploymentContainer),
      storageAuthenticationType: "SystemAssignedIdentity",
      identity: { type: "SystemAssigned" },
      httpsOnly: true,
      webdeployPublishBasicAuthenticationEnabled: false,
      instanceMemoryInMb: props.instanceMemoryInMb ?? 2048,
      maximumInstanceCount: max,
      // No zip_deploy_file: the provider pushes it to Kudu /api/zipdeploy with basic auth (helpers/publish_app.go:116,
      // 130 at v4.55.0), which is off here, and Flex Consumption does not support zip deploy at all (learn.microsoft.com/azure/azure-functions/
      // deployment-zip-push; hashicorp/terraform-provider-azurerm#29630). The code goes out after apply with One
      // Deploy and Entra auth: `token-broker deploy publish` (lib/cli/deploy-publish.ts).
      ...(props.virtualNetworkSubnetId && { virtualNetworkSubnetId: props.virtualNetworkSubnetId }),
      siteConfig: {
        minimumTlsVersion: "1.2",
        scmMinimumTlsVersion: "1.2",
        http2Enabled: true,
        // Integrated: every outbound call (Key Vault references, storage, Cosmos) goes through the VNet and its
        // private DNS zones.
        ...(props.virtualNetworkSubnetId && { vnetRouteAllEnabled: true }),
        remoteDebuggingEnabled: false,
        applicationInsightsConnectionString: props.appInsightsConnectionString,
        ...(origins.length > 0 && { cors: { allowedOrigins: origins, supportCredentials: false } }),
      },
      appSettings: {
        ...props.appSettings,
        [HOST_STORAGE_SETTING.accountName]: props.storage.account.name,
        [HOST_STORAGE_SETTING.credential]: "managedidentity",
        // App Insights with local auth disabled takes telemetry only with an Entra token of the app's identity.
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "Authorization=AAD",
        // V8 heap sizing for the broker's bounded caches (functions-src/memory-budget.ts; the soak runs with the
        // same flags). Functions starts the Node worker with these arguments (functions-reference-node,
        // "languageWorkers__node__arguments"); the setting is not on Flex Consumption's deprecation list.
        [NODE_ARGUMENTS_SETTING]: NODE_WORKER_ARGUMENTS,
      },
      authSettingsV2: easyAuthSettings(props.easyAuth),
      tags: props.tags,
    });
  }

  get granteeName(): string {
    return this.node.id;
  }

  /** The system identity's object id, for role assignments. */
  get principalId(): string {
    return this.app.identity.principalId;
  }

  get tokenUrl(): string {
    return `https://${this.app.defaultHostname}/api/token`;
  }
}
