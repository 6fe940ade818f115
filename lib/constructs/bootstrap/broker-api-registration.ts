/**
 * The Entra app registration of one environment's broker API: v2.0 access tokens (so `aud` is this registration's
 * client id, the `apiAudience` the policy expects), an app role per value the policy reads from the `roles` claim,
 * and its service principal with assignment required (only identities given a role get a token for it). No client
 * secret: the broker and Easy Auth validate bearer tokens, they never sign in as the API.
 *
 * Removing an app role from azuread_application disables and then deletes it (application_resource.go:1510-1516 at
 * terraform-provider-azuread v3.7.0): a role the policy stopped reading is therefore kept here with
 * `enabled: false` until someone deletes it on purpose (stacks/bootstrap-settings.ts).
 */
import { Construct } from "constructs";
import { createHash } from "node:crypto";
import { AppRoleAssignment } from "@cdktf/provider-azuread/lib/app-role-assignment";
import { Application } from "@cdktf/provider-azuread/lib/application";
import type { AzureadProvider } from "@cdktf/provider-azuread/lib/provider";
import { ServicePrincipal } from "@cdktf/provider-azuread/lib/service-principal";

export interface ApiAppRole {
  value: string;
  description: string;
  /** false: no longer read by the policy, kept (disabled) so its assignments are not deleted silently. */
  enabled: boolean;
}

export interface BrokerApiRegistrationProps {
  readonly displayName: string;
  /** One tenant: AzureADMyOrg; several: AzureADMultipleOrgs (the broker enforces the policy's tenant list). */
  readonly tenants: string[];
  readonly appRoles: ApiAppRole[];
  /** The azuread provider of the registration's home tenant. @default the stack's default azuread provider */
  readonly provider?: AzureadProvider;
}

export class BrokerApiRegistration extends Construct {
  readonly application: Application;
  readonly servicePrincipal: ServicePrincipal;
  readonly clientId: string;
  private readonly roleIds = new Map<string, string>();
  private readonly provider?: AzureadProvider;

  constructor(scope: Construct, id: string, props: BrokerApiRegistrationProps) {
    super(scope, id);
    if (props.tenants.length === 0) throw new Error(`BrokerApiRegistration ${id}: tenants must not be empty`);
    this.provider = props.provider;
    for (const r of props.appRoles) this.roleIds.set(r.value, appRoleId(r.value));
    this.application = new Application(this, "application", {
      provider: props.provider,
      displayName: props.displayName,
      signInAudience: props.tenants.length === 1 ? "AzureADMyOrg" : "AzureADMultipleOrgs",
      preventDuplicateNames: true,
      // The azuread default is 1 (v1.0 tokens from sts.windows.net, `aud` possibly a URI): application_resource.go
      // "requested_access_token_version" Default 1, at v3.7.0. The policy's Entra issuers accept v2.0.
      api: { requestedAccessTokenVersion: 2 },
      appRole: props.appRoles.map((r) => ({
        id: this.roleIds.get(r.value)!,
        value: r.value,
        displayName: r.value,
        description: r.description,
        // Users and groups (people), and applications (service clients such as the smoke test).
        allowedMemberTypes: ["User", "Application"],
        enabled: r.enabled,
      })),
    });
    this.clientId = this.application.clientId;
    this.servicePrincipal = new ServicePrincipal(this, "service-principal", {
      provider: props.provider,
      clientId: this.application.clientId,
      appRoleAssignmentRequired: true,
    });
  }

  /** Gives a principal (a managed identity's principal id, a user, a group) one enabled app role of this API. */
  assignAppRole(name: string, value: string, principalObjectId: string): AppRoleAssignment {
    const id = this.roleIds.get(value);
    if (!id) throw new Error(`the API has no app role '${value}'; it has ${[...this.roleIds.keys()].join(", ")}`);
    return new AppRoleAssignment(this, `assign-${name}`, {
      provider: this.provider,
      appRoleId: id,
      principalObjectId,
      resourceObjectId: this.servicePrincipal.objectId,
    });
  }
}

/**
 * A stable id per value (UUID layout from SHA-256, version nibble 5-style): the same role keeps its id across
 * deploys, so its assignments survive, and no random provider is needed.
 */
export function appRoleId(value: string): string {
  const h = createHash("sha256").update(`azure-token-broker/app-role/${value}`).digest("hex");
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
