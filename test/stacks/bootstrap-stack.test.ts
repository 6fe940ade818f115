/**
 * The bootstrap stack, synthesized offline and checked against what the provider source and Microsoft's docs
 * require, not against how the constructs were written: state storage (Entra only, versions, soft delete, one
 * container per environment), GitHub federation (the exact subjects the workflows present), role-assignment rights
 * (conditioned to the roles the broker stacks actually assign) and the API registrations (app roles = the values the
 * example policy reads from the `roles` claim, v2.0 tokens).
 */
import { Testing } from "cdktf";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { all, only, synthEnvironment } from "./helpers";
import { named, policyText, REPOSITORY, synthBootstrap } from "./bootstrap-helpers";
import { ROOT } from "../policy/helpers";
import { BROKER_ROLE_IDS } from "../../lib/constructs/bootstrap/role-ids";
import { appRoleId } from "../../lib/constructs/bootstrap/broker-api-registration";
import { addBootstrapStack } from "../../stacks/bootstrap-stack";

const { json, settings } = synthBootstrap();
const r = json.resource;

/** Read straight from policies/policy.yaml, independently of the compiler: `when: { claim: roles, contains: X }`. */
function valuesTheExamplePolicyReads(): string[] {
  const doc = parse(readFileSync(join(ROOT, "policies", "policy.yaml"), "utf8")) as {
    roles: Record<string, { when: Record<string, unknown> }>;
  };
  const out = new Set<string>();
  const walk = (c: Record<string, any>) => {
    for (const k of ["all", "any"]) (c[k] as Record<string, unknown>[] | undefined)?.forEach(walk);
    if (c.not) walk(c.not);
    if (c.claim === "roles")
      [c.equals, c.contains, ...(c.in ?? [])].filter((v) => v !== undefined).forEach((v) => out.add(v));
  };
  Object.values(doc.roles).forEach((role) => walk(role.when));
  return [...out].sort();
}

describe("remote state storage", () => {
  const account = only(r, "azurerm_storage_account");

  it("takes Entra authorization only: no shared key (account keys, account and service SAS), Entra by default", () => {
    // learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent: allowSharedKeyAccess=false refuses
    // Shared Key and every SAS signed with the account key; the azurerm backend then needs use_azuread_auth.
    expect(account.shared_access_key_enabled).toBe(false);
    expect(account.default_to_oauth_authentication).toBe(true);
    expect(json.provider.azurerm[0].storage_use_azuread).toBe(true);
  });

  it("requires TLS 1.2 over HTTPS and allows no anonymous blob access", () => {
    expect(account.min_tls_version).toBe("TLS1_2");
    expect(account.https_traffic_only_enabled).toBe(true);
    expect(account.allow_nested_items_to_be_public).toBe(false);
    for (const c of all(r, "azurerm_storage_container")) expect(c.container_access_type).toBe("private");
  });

  it("keeps every state version and soft-deleted blobs and containers, and is locked against deletion", () => {
    const blob = account.blob_properties;
    expect(blob.versioning_enabled).toBe(true);
    expect(blob.delete_retention_policy.days).toBeGreaterThanOrEqual(7);
    expect(blob.container_delete_retention_policy.days).toBeGreaterThanOrEqual(7);
    const lock = only(r, "azurerm_management_lock");
    expect(lock.lock_level).toBe("CanNotDelete");
    expect(lock.scope).toMatch(/^\$\{azurerm_storage_account\.[^.]+\.id\}$/);
  });

  it("sets nothing azurerm 4.55 writes on the data plane while it is declared unavailable", () => {
    // storage_account_resource.go:1142-1150 at v4.55.0: queue_properties with data_plane_available=false is an error;
    // static_website needs the data plane too. blob_properties go through ARM (line 1655).
    expect(json.provider.azurerm[0].features).toEqual([{ storage: [{ data_plane_available: false }] }]);
    expect(account.queue_properties).toBeUndefined();
    expect(account.static_website).toBeUndefined();
  });

  it("has one container per deployable environment, reached through ARM (storage_account_id)", () => {
    const containers = all(r, "azurerm_storage_container");
    expect(containers.map((c) => c.name).sort()).toEqual(["tfstate-dev", "tfstate-pr", "tfstate-prod"]);
    for (const c of containers) {
      expect(c.storage_account_id).toMatch(/^\$\{azurerm_storage_account\..+\.id\}$/);
      expect(c.storage_account_name).toBeUndefined();
    }
  });

  it("names the containers environments.yaml's remote state already points at", () => {
    const envs = parse(readFileSync(join(ROOT, "policies", "environments.yaml"), "utf8")).environments;
    for (const entry of ["dev", "prod"])
      expect(settings.state.containers[entry]).toBe(envs[entry].azure.state.container);
  });

  it("registers Microsoft.FluidRelay, which azurerm's default set leaves out and the deploy role cannot register", () => {
    // terraform-provider-azurerm v4.55.0 internal/resourceproviders/required.go: Legacy() (the default) lists
    // Microsoft.DocumentDB, KeyVault, Web, Cdn, Storage, ... but not Microsoft.FluidRelay.
    expect(json.provider.azurerm[0].resource_providers_to_register).toEqual(["Microsoft.FluidRelay"]);
    const actions: string[] = only(r, "azurerm_role_definition").permissions[0].actions;
    expect(actions.some((a) => /register\/action$/i.test(a))).toBe(false);
  });

  it("keeps its own state locally: it creates the remote state storage", () => {
    expect(json.terraform.backend).toEqual({ local: { path: "terraform.broker-bootstrap.tfstate" } });
  });

  it("gives each deploy identity Storage Blob Data Contributor on its own environment's container only", () => {
    const state = all(r, "azurerm_role_assignment").filter(
      (a) => a.role_definition_name === "Storage Blob Data Contributor",
    );
    const byContainer = (name: string) =>
      state.filter((a) => String(a.scope).includes(`azurerm_storage_container.state_container-${name}_`));
    expect(byContainer("pr").map((a) => a.principal_id)).toEqual([
      "${azurerm_user_assigned_identity.ephemeral-deployer_identity_84B138B9.principal_id}",
    ]);
    expect(byContainer("prod").map((a) => a.principal_id)).toEqual([
      "${azurerm_user_assigned_identity.production-deployer_identity_95F00071.principal_id}",
    ]);
    expect(byContainer("dev").map((a) => a.principal_id)).toEqual(["${data.azurerm_client_config.deployer.object_id}"]);
    for (const a of state) expect(a.scope).toMatch(/^\$\{azurerm_storage_container\.[^.]+\.id\}$/);
  });
});

describe("GitHub OIDC federation", () => {
  const subjects = (prefix: string) =>
    named(r, "azurerm_federated_identity_credential", prefix)
      .map((c) => c.subject)
      .sort();

  it("trusts GitHub's issuer with Azure's token-exchange audience", () => {
    for (const c of all(r, "azurerm_federated_identity_credential")) {
      expect(c.issuer).toBe("https://token.actions.githubusercontent.com");
      expect(c.audience).toEqual(["api://AzureADTokenExchange"]);
    }
  });

  it("the ephemeral identity trusts exactly the subjects the ephemeral workflow's Azure jobs present", () => {
    // Derived from the workflow file: a job with id-token: write that runs on pull_request presents
    // repo:<r>:pull_request; one on schedule/workflow_dispatch runs on the default branch: repo:<r>:ref:refs/heads/main.
    const wf = parse(readFileSync(join(ROOT, ".github", "workflows", "ephemeral-env.yml"), "utf8"));
    const needed = new Set<string>();
    for (const job of Object.values(wf.jobs) as Record<string, any>[]) {
      if (job.permissions?.["id-token"] !== "write") continue;
      expect(job.environment).toBeUndefined(); // an environment would change the subject
      const cond = String(job.if ?? "");
      if (cond.includes("'pull_request'")) needed.add(`repo:${REPOSITORY}:pull_request`);
      if (cond.includes("'schedule'") || cond.includes("'workflow_dispatch'") || job.needs)
        needed.add(`repo:${REPOSITORY}:ref:refs/heads/main`);
    }
    expect(needed.size).toBe(2);
    expect(subjects("ephemeral-deployer_")).toEqual([...needed].sort());
  });

  it("the production identity trusts only a job bound to the protected `production` environment", () => {
    expect(subjects("production-deployer_")).toEqual([`repo:${REPOSITORY}:environment:production`]);
  });

  it("creates one identity's credentials one after another (concurrent creation fails with 409)", () => {
    // learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations, "Concurrent updates aren't
    // supported (user-assigned managed identities)".
    const creds = Object.entries(r.azurerm_federated_identity_credential).filter(([n]) => n.startsWith("ephemeral-"));
    expect(creds).toHaveLength(2);
    const waiting = creds.filter(([, c]) => c.depends_on);
    expect(waiting).toHaveLength(1);
    const other = creds.find(([n]) => n !== waiting[0][0])![0];
    expect(waiting[0][1].depends_on).toEqual([`azurerm_federated_identity_credential.${other}`]);
  });

  it("no subject has a wildcard (Entra matches the sub claim exactly)", () => {
    for (const c of all(r, "azurerm_federated_identity_credential")) expect(c.subject).not.toMatch(/\*/);
  });

  it("without a repository at synth, the subjects come from a validated Terraform variable", () => {
    const { json: j } = synthBootstrap({ environ: {} });
    const variable = j.variable!.github_repo as { validation: { condition: string }[] };
    expect(variable.validation[0].condition).toContain("regex(");
    for (const c of all(j.resource, "azurerm_federated_identity_credential"))
      expect(c.subject).toMatch(/^repo:\$\{var\.github_repo\}:/);
  });
});

describe("deploy identities: least privilege", () => {
  const assignments = all(r, "azurerm_role_assignment");
  const delegations = assignments.filter((a) =>
    String(a.role_definition_id).endsWith("f58310d9-a9f6-439a-9e8d-f62e7b41a168"),
  );

  it("may assign roles only under a delegation condition, version 2.0, for write and delete", () => {
    expect(delegations).toHaveLength(2);
    for (const a of delegations) {
      expect(a.condition_version).toBe("2.0");
      expect(a.condition).toContain("!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})");
      expect(a.condition).toContain("!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})");
      expect(a.condition).toContain("@Request[Microsoft.Authorization/roleAssignments:PrincipalType]");
    }
  });

  it("the condition names every role a synthesized broker stack assigns, and no other", () => {
    const guids = (c: string) => [...c.matchAll(/GuidEquals \{([^}]*)\}/g)].map((m) => m[1].split(", ").sort());
    const [writeIds, deleteIds] = guids(delegations[0].condition);
    expect(deleteIds).toEqual(writeIds);
    // Every role_definition_name the pr and prod stacks assign must be one the condition allows.
    const assigned = new Set<string>();
    for (const env of ["pr-1", "prod"]) {
      for (const a of all(synthEnvironment(env).json.resource, "azurerm_role_assignment"))
        assigned.add(a.role_definition_name);
    }
    const ids = BROKER_ROLE_IDS as Record<string, string>;
    for (const name of assigned) expect(writeIds).toContain(ids[name]);
    expect(writeIds).toEqual(Object.values(BROKER_ROLE_IDS).sort());
    expect(writeIds).not.toContain("8e3af657-a8ff-443c-a75c-2fe8c4bcb635"); // Owner
    expect(writeIds).not.toContain("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"); // User Access Administrator
  });

  it("the custom deploy role has no wildcard write and no Microsoft.Authorization write (locks, roles)", () => {
    const def = only(r, "azurerm_role_definition");
    const actions: string[] = def.permissions[0].actions;
    expect(actions).not.toContain("*");
    expect(actions.filter((a) => /^Microsoft\.Authorization\//i.test(a))).toEqual([]);
    expect(actions.filter((a) => /^\*\//.test(a))).toEqual(["*/read"]);
    expect(def.assignable_scopes).toEqual(["${data.azurerm_subscription.subscription.id}"]);
  });

  it("never assigns Owner, Contributor or User Access Administrator", () => {
    for (const a of assignments) {
      expect(["Owner", "Contributor", "User Access Administrator"]).not.toContain(a.role_definition_name);
      expect(String(a.role_definition_id ?? "")).not.toMatch(/8e3af657|b24988ac-6180|18d7d88d/);
    }
  });
});

describe("the broker's API registrations", () => {
  const expected = valuesTheExamplePolicyReads();
  const apps = all(r, "azuread_application");

  it("one per deployable environment, each with the app roles the example policy reads", () => {
    expect(expected).toEqual(["Docs.Admin", "Docs.Editor", "Docs.Reader"]);
    expect(apps).toHaveLength(3);
    for (const app of apps) {
      expect(app.app_role.map((x: any) => x.value).sort()).toEqual(expected);
      for (const role of app.app_role) {
        expect(role.enabled).toBe(true);
        expect(role.allowed_member_types.sort()).toEqual(["Application", "User"]);
        expect(role.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }
    }
  });

  it("asks for v2.0 access tokens (the azuread default is 1), so aud is the client id the policy expects", () => {
    // terraform-provider-azuread v3.7.0 application_resource.go: requested_access_token_version Default 1.
    for (const app of apps) expect(app.api.requested_access_token_version).toBe(2);
    const ids = json.output.api_client_ids.value as Record<string, string>;
    expect(Object.keys(ids).sort()).toEqual(["dev", "pr", "prod"]);
    for (const v of Object.values(ids))
      expect(v).toMatch(/^\$\{azuread_application\.api-[a-z]+_application_[0-9A-F]+\.client_id\}$/);
  });

  it("requires an app role assignment for a token, and has no client secret", () => {
    for (const sp of all(r, "azuread_service_principal")) expect(sp.app_role_assignment_required).toBe(true);
    for (const app of apps) expect(app.password).toBeUndefined();
    expect(r.azuread_application_password).toBeUndefined();
  });

  it("registers each API in its environment's tenant", () => {
    expect(json.provider.azuread).toEqual([
      { tenant_id: "6a1b2c3d-0000-4000-8000-00000000d001" },
      { alias: "tenant1", tenant_id: "6a1b2c3d-0000-4000-8000-00000000f001" },
    ]);
    const [prod] = named(r, "azuread_application", "api-prod_");
    expect(prod.provider).toBe("azuread.tenant1");
    expect(prod.sign_in_audience).toBe("AzureADMyOrg");
  });

  it("gives the smoke-test identity (the PR deploy identity) the editor role of the pr API", () => {
    const a = only(r, "azuread_app_role_assignment");
    expect(a.app_role_id).toBe(appRoleId("Docs.Editor"));
    expect(a.principal_object_id).toMatch(
      /^\$\{azurerm_user_assigned_identity\.ephemeral-deployer_identity_[0-9A-F]+\.principal_id\}$/,
    );
    expect(a.resource_object_id).toMatch(
      /^\$\{azuread_service_principal\.api-pr_service-principal_[0-9A-F]+\.object_id\}$/,
    );
    const [pr] = named(r, "azuread_application", "api-pr_");
    expect(pr.app_role.find((x: any) => x.id === a.app_role_id).value).toBe("Docs.Editor");
    expect(json.output.smoke_app_role.value).toBe("Docs.Editor");
  });

  it("adding a role to the policy adds an app role (values nested in all/any/not count too)", () => {
    const auditor = `
  auditor:
    description: Reads the public CDN prefix.
    when: { all: [{ claim: roles, contains: Docs.Auditor }, { not: { claim: roles, contains: Docs.Suspended } }] }
    grants:
      - cdn: { prefix: /public/, ttl: 15m }
`;
    const text = policyText().replace("\ncosmosRbac:", `${auditor}\ncosmosRbac:`);
    const { json: j } = synthBootstrap({ policyText: text });
    for (const app of all(j.resource, "azuread_application")) {
      expect(app.app_role.map((x: any) => x.value).sort()).toEqual([
        "Docs.Admin",
        "Docs.Auditor",
        "Docs.Editor",
        "Docs.Reader",
        "Docs.Suspended",
      ]);
    }
  });

  it("a role the policy stops reading stays registered, disabled, and synthesis warns", () => {
    const text = readFileSync(join(ROOT, "policies", "policy.yaml"), "utf8").replace(
      /\n {2}admin:[\s\S]*?(?=\n {2}support:)/,
      "",
    );
    expect(text).not.toContain("Docs.Admin");
    const { json: j, stack } = synthBootstrap({ policyText: text });
    for (const app of all(j.resource, "azuread_application")) {
      const admin = app.app_role.find((x: any) => x.value === "Docs.Admin");
      expect(admin).toMatchObject({ enabled: false, id: appRoleId("Docs.Admin") });
    }
    expect((j.output.retired_app_roles.value as Record<string, string[]>).pr).toEqual(["Docs.Admin"]);
    const warnings = stack.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    expect(warnings.some((w) => w.includes("Docs.Admin") && w.includes("disabled"))).toBe(true);
  });

  it("a value Entra cannot hold as an app role is refused with the policy role's name", () => {
    const text = policyText().replace("contains: Docs.Reader }", 'contains: "Docs Reader" }');
    expect(() => synthBootstrap({ policyText: text })).toThrow(
      /role 'reader'.*'Docs Reader' cannot be an Entra app role/,
    );
  });
});

describe("in the CDKTF app", () => {
  it("is added beside the environment stacks; left out with a warning when no app role can be derived", () => {
    const ok = addBootstrapStack(Testing.app(), { policies: join(ROOT, "policies"), environ: {} });
    expect(ok?.node.id).toBe("broker-bootstrap");
    const dir = mkdtempSync(join(tmpdir(), "tb-bootstrap-app-"));
    for (const f of ["policy.yaml", "environments.yaml"]) copyFileSync(join(ROOT, "policies", f), join(dir, f));
    writeFileSync(
      join(dir, "policy.yaml"),
      policyText().replace("contains: Docs.Reader }", 'contains: "Docs Reader" }'),
    );
    const warnings: string[] = [];
    const app = Testing.app();
    expect(addBootstrapStack(app, { policies: dir, environ: {}, warn: (m) => warnings.push(m) })).toBeUndefined();
    expect(app.node.tryFindChild("broker-bootstrap")).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/^broker-bootstrap left out: role 'reader'/)]);
  });
});

describe("the smoke-test role", () => {
  it("when no single role grants what the smoke test asks for, nothing is assigned and synthesis warns", () => {
    // Without creation rights no role gets the Fluid creation token the workflow's smoke test requires.
    const text = policyText().replaceAll("create: true, ", "");
    const { json: j, stack } = synthBootstrap({ policyText: text });
    expect(j.resource.azuread_app_role_assignment).toBeUndefined();
    expect(j.output.smoke_app_role).toBeUndefined();
    const warnings = stack.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    expect(warnings.some((w) => w.includes("no app role is assigned to the PR deploy identity"))).toBe(true);
  });
});
