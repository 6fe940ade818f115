/**
 * A deploy identity for GitHub Actions: a user-assigned managed identity whose federated credentials trust exactly
 * the subjects given (no secret exists to leak or rotate). azure/login takes its client id; Terraform's azurerm
 * provider and backend use the same federation (ARM_USE_OIDC). A managed identity rather than an app registration:
 * it needs no Entra directory rights to create, and it cannot be given a password.
 */
import { Construct } from "constructs";
import { FederatedIdentityCredential } from "@cdktf/provider-azurerm/lib/federated-identity-credential";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import type { Grantee } from "../role-assignments";
import { AZURE_FEDERATION_AUDIENCE, GITHUB_OIDC_ISSUER, type GitHubSubject } from "./github-subjects";

export interface GitHubDeployerProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** Each becomes one federated credential; Entra matches the token's `sub` exactly. */
  readonly subjects: GitHubSubject[];
  readonly tags: Record<string, string>;
}

export class GitHubDeployer extends Construct implements Grantee {
  readonly identity: UserAssignedIdentity;
  readonly granteeName: string;
  readonly principalId: string;
  readonly clientId: string;

  constructor(scope: Construct, id: string, props: GitHubDeployerProps) {
    super(scope, id);
    // At most 20 federated identity credentials per identity (same page, "General ... considerations").
    if (props.subjects.length === 0 || props.subjects.length > 20)
      throw new Error(`GitHubDeployer ${id}: subjects must hold 1-20 subjects, got ${props.subjects.length}`);
    this.identity = new UserAssignedIdentity(this, "identity", {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
    });
    this.granteeName = id;
    this.principalId = this.identity.principalId;
    this.clientId = this.identity.clientId;
    let previous: FederatedIdentityCredential | undefined;
    for (const s of props.subjects) {
      previous = new FederatedIdentityCredential(this, s.name, {
        name: s.name,
        resourceGroupName: props.resourceGroupName,
        parentId: this.identity.id,
        issuer: GITHUB_OIDC_ISSUER,
        audience: [AZURE_FEDERATION_AUDIENCE],
        subject: s.subject,
        // Creating several credentials of one user-assigned identity at once fails with 409 Conflict
        // (learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations, "Concurrent updates
        // aren't supported (user-assigned managed identities)"): one after another.
        ...(previous && { dependsOn: [previous] }),
      });
    }
  }
}
