/** Log Analytics + workspace-based Application Insights, with Entra-only ingestion (no instrumentation key auth). */
import { ApplicationInsights } from "@cdktf/provider-azurerm/lib/application-insights";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Construct } from "constructs";
import { BUILT_IN_ROLE, type Grantee } from "./role-assignments";

export interface ObservabilityProps {
  readonly workspaceName: string;
  readonly appInsightsName: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /** @default 30 */
  readonly retentionInDays?: number;
  readonly tags: Record<string, string>;
}

export class Observability extends Construct {
  readonly workspace: LogAnalyticsWorkspace;
  readonly appInsights: ApplicationInsights;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.workspace = new LogAnalyticsWorkspace(this, "workspace", {
      name: props.workspaceName,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      sku: "PerGB2018",
      retentionInDays: props.retentionInDays ?? 30,
      tags: props.tags,
    });
    this.appInsights = new ApplicationInsights(this, "app-insights", {
      name: props.appInsightsName,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      applicationType: "web",
      workspaceId: this.workspace.id,
      localAuthenticationDisabled: true,
      tags: props.tags,
    });
  }

  get connectionString(): string {
    return this.appInsights.connectionString;
  }

  /** With local auth disabled, telemetry is accepted only from identities holding this role. */
  grantPublish(grantee: Grantee): RoleAssignment {
    return new RoleAssignment(this, `publisher-${grantee.granteeName}`, {
      scope: this.appInsights.id,
      roleDefinitionName: BUILT_IN_ROLE.monitoringMetricsPublisher,
      principalId: grantee.principalId,
      principalType: "ServicePrincipal",
    });
  }
}
