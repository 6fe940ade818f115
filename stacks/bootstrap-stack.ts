/**
 * `broker-bootstrap`: what a subscription owner deploys once, with local state, before any environment: the remote
 * state storage, the GitHub deploy identities and their federated credentials, and each environment's Entra API
 * registration with the app roles the policy reads. Its outputs are what environments.yaml and the workflows need;
 * `token-broker bootstrap outputs` writes them back (README "Deploying an environment").
 */
import { Annotations, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { AzureadProvider } from "@cdktf/provider-azuread/lib/provider";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { DataAzurermSubscription } from "@cdktf/provider-azurerm/lib/data-azurerm-subscription";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { addBootstrapDefaults } from "../lib/constructs/bootstrap/bootstrap-secure-defaults";
import { BrokerApiRegistration } from "../lib/constructs/bootstrap/broker-api-registration";
import { DeployerRole } from "../lib/constructs/bootstrap/deployer-role";
import { GitHubDeployer } from "../lib/constructs/bootstrap/github-deployer";
import { GITHUB_REPOSITORY, githubSubject } from "../lib/constructs/bootstrap/github-subjects";
import { TerraformStateStorage } from "../lib/constructs/bootstrap/state-storage";
import { AppRoleDerivationError } from "../lib/policy/authoring/entra-app-roles";
import {
  APP_ROLE_RECORD,
  bootstrapSettings,
  BootstrapSettingsError,
  type BootstrapSettings,
} from "./bootstrap-settings";

export const BOOTSTRAP_STACK_ID = "broker-bootstrap";

export interface BootstrapStackProps {
  readonly settings: BootstrapSettings;
}

export class BootstrapStack extends TerraformStack {
  readonly state: TerraformStateStorage;
  readonly apis: Record<string, BrokerApiRegistration> = {};
  readonly ephemeralDeployer?: GitHubDeployer;
  readonly productionDeployer?: GitHubDeployer;

  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    const s = props.settings;
    // Local state: this stack creates the remote state storage, so it cannot keep its own state there.
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    new AzurermProvider(this, "azurerm", {
      features: [{ storage: [{ dataPlaneAvailable: false }] }],
      storageUseAzuread: true,
      // The owner registers, once, the resource providers the broker stacks use beyond azurerm's default ("legacy")
      // set (internal/resourceproviders/required.go Legacy() at v4.55.0 has no Microsoft.FluidRelay): the deploy
      // identities hold no register action, and azurerm only reads the registration state of registered ones.
      resourceProvidersToRegister: ["Microsoft.FluidRelay"],
    });
    const tenants = [...new Set(s.apis.map((a) => a.tenants[0]))];
    const providers = new Map(
      tenants.map((t, i) => [
        t,
        // One azuread provider per home tenant of an API registration; the first is the default one.
        new AzureadProvider(this, `azuread-${i}`, { tenantId: t, ...(i > 0 && { alias: `tenant${i}` }) }),
      ]),
    );
    if (tenants.length === 0) new AzureadProvider(this, "azuread-0", {});

    const client = new DataAzurermClientConfig(this, "deployer");
    const subscription = new DataAzurermSubscription(this, "subscription");
    const repository = s.github.repository ?? repositoryVariable(this);
    const tags = {
      env: "bootstrap",
      owner: s.owner,
      "managed-by": "cdktf",
      ...(s.github.repository && { repository }),
    };
    const group = new ResourceGroup(this, "group", { name: s.state.resourceGroup, location: s.location, tags });

    this.state = new TerraformStateStorage(this, "state", {
      resourceGroupName: group.name,
      location: s.location,
      accountName: s.state.storageAccount,
      containers: s.state.containers,
      tags,
    });
    const role = new DeployerRole(this, "deployer-role", { subscriptionScope: subscription.id, workload: s.workload });

    // The one who runs the bootstrap deploys development environments by hand (README): their state only.
    for (const e of s.entries.filter((x) => x.stage === "development")) {
      this.state.grantStateAccess({ granteeName: "bootstrap-user", principalId: client.objectId }, e.entry);
    }
    const ephemeral = s.entries.find((e) => e.stage === "ephemeral");
    if (ephemeral) {
      // deploy/destroy run on pull_request; the sweep on schedule/workflow_dispatch from the default branch.
      this.ephemeralDeployer = new GitHubDeployer(this, "ephemeral-deployer", {
        name: `id-${s.workload}-deploy-${ephemeral.entry}`,
        resourceGroupName: group.name,
        location: s.location,
        subjects: [githubSubject.pullRequest(repository), githubSubject.branch(repository, s.github.defaultBranch)],
        tags,
      });
      role.grant(this.ephemeralDeployer);
      this.state.grantStateAccess(this.ephemeralDeployer, ephemeral.entry);
    }
    const production = s.entries.filter((e) => e.stage === "production");
    if (production.length > 0) {
      // Only a job bound to the protected GitHub environment presents this subject.
      this.productionDeployer = new GitHubDeployer(this, "production-deployer", {
        name: `id-${s.workload}-deploy-production`,
        resourceGroupName: group.name,
        location: s.location,
        subjects: [githubSubject.environment(repository, s.github.productionEnvironment)],
        tags,
      });
      role.grant(this.productionDeployer);
      for (const e of production) this.state.grantStateAccess(this.productionDeployer, e.entry);
    }

    for (const api of s.apis) {
      this.apis[api.entry] = new BrokerApiRegistration(this, `api-${api.entry}`, {
        displayName: `Token broker API (${s.workload} ${api.entry})`,
        tenants: api.tenants,
        provider: tenants.indexOf(api.tenants[0]) > 0 ? providers.get(api.tenants[0]) : undefined,
        appRoles: api.appRoles.map((r) => ({
          value: r.value,
          enabled: r.enabled,
          description: r.enabled
            ? `Policy role${r.policyRoles.length > 1 ? "s" : ""} ${r.policyRoles.join(", ")} of the ${api.entry} environment`
            : "No longer read by the access policy: disabled; delete it from the record once unassigned",
        })),
      });
      const retired = api.appRoles.filter((r) => !r.enabled).map((r) => r.value);
      if (retired.length > 0) {
        Annotations.of(this).addWarning(
          `${api.entry}: the policy no longer reads app role(s) ${retired.join(", ")}; they stay registered, ` +
            `disabled. To delete them, remove their assignments, then the values from policies/${APP_ROLE_RECORD}.`,
        );
      }
      const unrecorded = s.unrecorded[api.entry];
      if (unrecorded?.length) {
        Annotations.of(this).addInfo(
          `${api.entry}: app role(s) ${unrecorded.join(", ")} are not in policies/${APP_ROLE_RECORD} yet; run ` +
            "`npx token-broker bootstrap app-roles --write` so removing one later disables it instead of deleting it.",
        );
      }
    }
    if (s.smokeTestProblem) Annotations.of(this).addWarning(s.smokeTestProblem);
    if (s.smokeTest && this.ephemeralDeployer) {
      this.apis[s.smokeTest.entry].assignAppRole("smoke-test", s.smokeTest.appRole, this.ephemeralDeployer.principalId);
    }

    addBootstrapDefaults(this);

    const out = (name: string, value: unknown, description?: string) =>
      new TerraformOutput(this, name, { value, ...(description && { description }) });
    out("azure_tenant_id", client.tenantId);
    out("azure_subscription_id", client.subscriptionId);
    out("github_repository", repository);
    out("tfstate_resource_group", group.name);
    out("tfstate_storage_account", this.state.account.name);
    out("tfstate_containers", s.state.containers, "environments.yaml entry -> state container");
    out("environment_stages", Object.fromEntries(s.entries.map((e) => [e.entry, e.stage])));
    out(
      "api_client_ids",
      Object.fromEntries(Object.entries(this.apis).map(([e, a]) => [e, a.clientId])),
      "environments.yaml entry -> the API's client id (its apiAudience)",
    );
    out(
      "app_roles",
      Object.fromEntries(s.apis.map((a) => [a.entry, a.appRoles.filter((r) => r.enabled).map((r) => r.value)])),
    );
    out(
      "retired_app_roles",
      Object.fromEntries(s.apis.map((a) => [a.entry, a.appRoles.filter((r) => !r.enabled).map((r) => r.value)])),
    );
    if (this.ephemeralDeployer) out("ephemeral_deployer_client_id", this.ephemeralDeployer.clientId);
    if (ephemeral) out("ephemeral_entry", ephemeral.entry);
    if (this.productionDeployer) {
      out("production_deployer_client_id", this.productionDeployer.clientId);
      out("production_github_environment", s.github.productionEnvironment);
    }
    if (s.smokeTest) {
      out("smoke_api_client_id", this.apis[s.smokeTest.entry].clientId);
      out("smoke_app_role", s.smokeTest.appRole);
    }
  }
}

/** No repository known at synth: ask for it at deploy (`--var github_repo=owner/name`), checked there. */
function repositoryVariable(stack: TerraformStack): string {
  return new TerraformVariable(stack, "github_repo", {
    type: "string",
    description: "The GitHub repository (owner/name) whose workflows deploy the environments",
    validation: [
      {
        condition: `\${can(regex("${GITHUB_REPOSITORY.source.replace(/\\/g, "\\\\")}", var.github_repo))}`,
        errorMessage: "github_repo must be owner/name",
      },
    ],
  }).stringValue;
}

/**
 * Adds `broker-bootstrap` for a policy folder (stacks/main.ts). A policy the bootstrap cannot register app roles for
 * (AppRoleDerivationError, BootstrapSettingsError) must not stop the environment stacks from synthesizing: the bootstrap stack is then left
 * out with a warning, so `cdktf deploy broker-bootstrap` fails with an unknown stack rather than applying a
 * stack without its API registrations (which would delete them).
 */
export function addBootstrapStack(
  app: Construct,
  props: { policies: string; environ?: NodeJS.ProcessEnv; warn?: (message: string) => void },
): BootstrapStack | undefined {
  let settings: BootstrapSettings;
  try {
    settings = bootstrapSettings(props.policies, props.environ ? { environ: props.environ } : {});
  } catch (e) {
    if (!(e instanceof AppRoleDerivationError) && !(e instanceof BootstrapSettingsError)) throw e;
    (props.warn ?? console.warn)(`${BOOTSTRAP_STACK_ID} left out: ${e.message}`);
    return undefined;
  }
  return new BootstrapStack(app, BOOTSTRAP_STACK_ID, { settings });
}
