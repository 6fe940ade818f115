/**
 * The secure-default rules of the bootstrap stack, run as its construct validation (like SecureDefaults for the
 * broker stacks: a violation fails `app.synth()`, so `cdktf synth`, and `Testing.synth(stack, true)`). The storage
 * and role rules of lib/constructs/secure-defaults.ts that read one resource apply unchanged; the rules below are
 * the bootstrap's own: state that can be recovered, federation that trusts exact subjects only, role-assignment
 * rights that are conditioned, and an API registration with v2.0 tokens, required assignment and no secret.
 */
import type { TerraformStack } from "cdktf";
import { RULES } from "../secure-defaults";
import { BOOTSTRAP_ROLE_IDS } from "./role-ids";
import { AZURE_FEDERATION_AUDIENCE, GITHUB_OIDC_ISSUER } from "./github-subjects";

type Json = Record<string, unknown>;
type Resources = Record<string, Record<string, Json>>;

interface BootstrapRule {
  id: string;
  description: string;
  types: string[];
  check(config: Json, resources: Resources, address: string): string | undefined;
}

const first = (v: unknown): Json => (Array.isArray(v) ? (v[0] as Json) : (v as Json)) ?? {};
const BROAD_ROLE_IDS = [
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", // Owner
  "b24988ac-6180-42a0-ab88-20f7382dd24c", // Contributor
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", // User Access Administrator
];
const SUBJECT = /^repo:[A-Za-z0-9-]+\/[A-Za-z0-9._-]+:(pull_request|ref:refs\/heads\/[^*\s]+|environment:[^*\s]+)$/;
const SUBJECT_FROM_VARIABLE = /^repo:\$\{var\.[a-z_]+\}:(pull_request|ref:refs\/heads\/[^*\s]+|environment:[^*\s]+)$/;
const MIN_RETENTION_DAYS = 7;

/** Single-resource rules of the broker stacks that hold for any stack. */
const SHARED = new Set(["TB-ST-001", "TB-ST-002", "TB-ST-003", "TB-IAM-001"]);

export const BOOTSTRAP_RULES: BootstrapRule[] = [
  ...RULES.filter((r) => SHARED.has(r.id)).map((r) => ({
    id: r.id,
    description: r.description,
    types: r.types,
    // These rules read the resource alone; the broker's context is not consulted.
    check: (c: Json, _res: Resources, address: string) => r.check(c, undefined as never, address.split(".")[0]),
  })),
  {
    id: "TB-BOOT-ST-001",
    description: "State storage keeps versions and soft-deleted blobs and containers for 7 days or more",
    types: ["azurerm_storage_account"],
    check: (c) => {
      const b = first(c.blob_properties);
      const days = (p: unknown) => Number(first(p).days ?? 0);
      if (b.versioning_enabled !== true) return "blob_properties.versioning_enabled must be true";
      if (days(b.delete_retention_policy) < MIN_RETENTION_DAYS || days(b.container_delete_retention_policy) < 7)
        return `blob and container delete retention must be ${MIN_RETENTION_DAYS} days or more`;
      return undefined;
    },
  },
  {
    id: "TB-BOOT-ST-002",
    description: "State storage defaults to Entra authorization",
    types: ["azurerm_storage_account"],
    check: (c) =>
      c.default_to_oauth_authentication === true ? undefined : "default_to_oauth_authentication must be true",
  },
  {
    id: "TB-BOOT-ST-003",
    description: "State storage is locked against deletion",
    types: ["azurerm_storage_account"],
    check: (_c, resources, address) => {
      const locks = Object.values(resources.azurerm_management_lock ?? {});
      return locks.some((l) => l.lock_level === "CanNotDelete" && l.scope === `\${${address}.id}`)
        ? undefined
        : "add a CanNotDelete management lock on the account";
    },
  },
  {
    id: "TB-BOOT-ID-001",
    description: "Federated credentials trust GitHub's issuer, Azure's exchange audience and one exact subject",
    types: ["azurerm_federated_identity_credential", "azuread_application_federated_identity_credential"],
    check: (c) => {
      if (c.issuer !== GITHUB_OIDC_ISSUER) return `issuer must be ${GITHUB_OIDC_ISSUER}`;
      const audience = (c.audience ?? c.audiences) as string[] | undefined;
      if (audience?.length !== 1 || audience[0] !== AZURE_FEDERATION_AUDIENCE)
        return `audience must be exactly [${AZURE_FEDERATION_AUDIENCE}]`;
      const s = String(c.subject);
      return SUBJECT.test(s) || SUBJECT_FROM_VARIABLE.test(s)
        ? undefined
        : `subject '${s}' is not one exact pull_request, branch or environment subject`;
    },
  },
  {
    id: "TB-BOOT-IAM-001",
    description: "Rights to assign roles are conditioned to named roles (delegation condition, version 2.0)",
    types: ["azurerm_role_assignment"],
    check: (c, resources) => {
      const id = String(c.role_definition_id ?? "");
      const grantsAssign =
        id.endsWith(BOOTSTRAP_ROLE_IDS.roleBasedAccessControlAdministrator) ||
        Object.entries(resources.azurerm_role_definition ?? {}).some(
          ([name, d]) => id.includes(`azurerm_role_definition.${name}.`) && assigns(d),
        );
      if (!grantsAssign) return undefined;
      const condition = String(c.condition ?? "");
      return c.condition_version === "2.0" &&
        condition.includes("roleAssignments/write") &&
        condition.includes("roleAssignments/delete") &&
        condition.includes("RoleDefinitionId] ForAnyOfAnyValues:GuidEquals")
        ? undefined
        : "a role that can assign roles needs a condition naming the roles it may assign, for write and delete";
    },
  },
  {
    id: "TB-BOOT-IAM-002",
    description: "Custom roles grant no wildcard write and no Microsoft.Authorization write or delete",
    types: ["azurerm_role_definition"],
    check: (c) => {
      const actions = ((c.permissions as Json[]) ?? []).flatMap((p) => (p.actions as string[]) ?? []);
      const bad = actions.filter(
        (a) =>
          a === "*" ||
          /^\*\/(write|delete|action)$/i.test(a) ||
          /^Microsoft\.Authorization\/.*(\*|write|delete)/i.test(a),
      );
      return bad.length ? `actions too broad: ${bad.join(", ")}` : undefined;
    },
  },
  {
    id: "TB-BOOT-IAM-003",
    description: "No role assignment by id of Owner, Contributor or User Access Administrator",
    types: ["azurerm_role_assignment"],
    check: (c) =>
      BROAD_ROLE_IDS.some((g) =>
        String(c.role_definition_id ?? "")
          .toLowerCase()
          .endsWith(g),
      )
        ? "role is too broad"
        : undefined,
  },
  {
    id: "TB-BOOT-APP-001",
    description: "The API registration asks for v2.0 access tokens and holds no client secret",
    types: ["azuread_application", "azuread_application_password", "azuread_service_principal_password"],
    check: (c, _r, address) => {
      if (!address.startsWith("azuread_application."))
        return "no client secret: the broker's API never signs in as itself";
      if (c.password) return "no password block: the broker's API never signs in as itself";
      return first(c.api).requested_access_token_version === 2
        ? undefined
        : "api.requested_access_token_version must be 2 (aud = client id; the policy's Entra issuers accept v2.0)";
    },
  },
  {
    id: "TB-BOOT-APP-002",
    description: "The API's service principal issues tokens only to identities assigned an app role",
    types: ["azuread_service_principal"],
    check: (c) => (c.app_role_assignment_required === true ? undefined : "app_role_assignment_required must be true"),
  },
];

function assigns(definition: Json): boolean {
  const actions = ((definition.permissions as Json[]) ?? []).flatMap((p) => (p.actions as string[]) ?? []);
  return actions.some((a) => /^(\*|Microsoft\.Authorization\/(\*|roleAssignments\/(\*|write)))$/i.test(a));
}

export interface BootstrapViolation {
  rule: string;
  resource: string;
  message: string;
}

export function checkBootstrapDefaults(json: { resource?: Resources }): BootstrapViolation[] {
  const resources = json.resource ?? {};
  const out: BootstrapViolation[] = [];
  for (const [type, byName] of Object.entries(resources)) {
    for (const [name, config] of Object.entries(byName)) {
      const address = `${type}.${name}`;
      for (const rule of BOOTSTRAP_RULES) {
        if (!rule.types.includes(type)) continue;
        const problem = rule.check(config, resources, address);
        if (problem) out.push({ rule: rule.id, resource: address, message: problem });
      }
    }
  }
  return out;
}

/** Registers the rules as the stack's validation; no suppression: the bootstrap has nothing to excuse. */
export function addBootstrapDefaults(stack: TerraformStack): void {
  stack.node.addValidation({
    validate: () =>
      checkBootstrapDefaults(stack.toTerraform() as { resource?: Resources }).map(
        (v) => `${v.rule} ${v.resource}: ${v.message}`,
      ),
  });
}
