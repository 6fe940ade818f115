/**
 * The Entra app roles an environment's API registration must define, derived from the policy: every value a role
 * condition tests on the `roles` claim of an Entra issuer (`equals`, `contains`, `in`, at any depth of all/any/not).
 * One source of truth: the bootstrap stack registers exactly these, so a role added to the policy becomes assignable
 * in Entra, and nobody keeps a second list by hand.
 *
 * Entra writes the `value` of each app role assigned to the caller into the `roles` claim of its tokens
 * (learn.microsoft.com/entra/identity-platform/howto-add-app-roles-in-apps, "Usage scenario of app roles";
 * access-token-claims-reference, `roles`). A `prefix` or `glob` test on that claim names no value Entra could
 * register, so it is refused with the role's name rather than guessed.
 */
import { representativeEnvironments } from "./environments";
import type { CheckedPolicy } from "./checked-policy";
import { compilePolicy } from "./compile";
import { entraTokenVersions } from "./entra-tokens";
import { ownValue } from "../runtime/own";
import type { CompiledCondition, CompiledRole, RuntimeConfig } from "../runtime/runtime-config";

/** The claim Entra puts app role values in. */
export const ENTRA_ROLES_CLAIM = "roles";

/** What the bootstrap writes back: the API's client id becomes this environment value (environments.yaml). */
export const API_AUDIENCE_VALUE = "apiAudience";

export class AppRoleDerivationError extends Error {
  readonly code = "ERR_APP_ROLE_DERIVATION";
}

export interface DerivedAppRole {
  /** The `roles` claim value, e.g. `Docs.Editor`. */
  value: string;
  /** The policy roles whose conditions test it, in policy order. */
  policyRoles: string[];
}

export interface EntraApiNeeds {
  /** The environments.yaml entry (`dev`, `prod`, `pr`): one API registration each. */
  entry: string;
  stage: RuntimeConfig["environment"]["stage"];
  /** The Entra tenants the policy trusts there; the first is the registration's home. */
  tenants: string[];
  /** v2.0 only: its `aud` is the client id, which the bootstrap can hand back as `apiAudience`. */
  accessTokenVersion: 2;
  appRoles: DerivedAppRole[];
  /** The compiled policy of that environment (the smoke-test role is chosen from it). */
  config: RuntimeConfig;
}

// The characters the azuread provider accepts in an app role value (validate/tokens.go RoleScopeClaimValue, v3.7.0):
// at most 249, not starting with a period, no space.
const APP_ROLE_VALUE = /^(?!\.)[A-Za-z0-9:!#$%&'()*+,./;<=>?@[\]^_`{|}~-]{1,249}$/;

/**
 * One entry per deployable environments.yaml entry that trusts an Entra issuer (ephemeral entries compiled as
 * `<entry>-1`, as `policy check` does). Throws AppRoleDerivationError when a value cannot become an app role, or
 * when the issuer's audience is not `${env.apiAudience}` (the bootstrap could not hand the client id back).
 */
export function entraApiNeeds(bundle: CheckedPolicy): EntraApiNeeds[] {
  const out: EntraApiNeeds[] = [];
  for (const env of representativeEnvironments(bundle.environments.entries)) {
    if (ownValue(bundle.environments.entries, env.entry)!.deploy === false) continue;
    const { config } = compilePolicy(bundle, env.name);
    const entra = config.issuers.filter((i) => i.type === "entra");
    if (entra.length === 0) continue;
    for (const issuer of entra) {
      const source = ownValue(bundle.document.issuers, issuer.name)!;
      if (!source.audiences.includes(`\${env.${API_AUDIENCE_VALUE}}`)) {
        throw new AppRoleDerivationError(
          `issuer '${issuer.name}' (environment ${env.entry}): its audiences must be ["\${env.${API_AUDIENCE_VALUE}}"] ` +
            "so the bootstrap can write the API registration's client id back to environments.yaml",
        );
      }
      if (!entraTokenVersions(source).includes(2)) {
        throw new AppRoleDerivationError(
          `issuer '${issuer.name}': the bootstrap registers APIs for v2.0 tokens (aud = client id); set tokenVersion: 2`,
        );
      }
    }
    const names = new Set(entra.map((i) => i.name));
    out.push({
      entry: env.entry,
      stage: env.stage,
      tenants: [...new Set(entra.flatMap((i) => i.tenants ?? []))],
      accessTokenVersion: 2,
      appRoles: appRolesOf(
        config.roles.filter((r) => r.issuers === null || r.issuers.some((n) => names.has(n))),
        env.entry,
      ),
      config,
    });
  }
  return out;
}

function appRolesOf(roles: CompiledRole[], entry: string): DerivedAppRole[] {
  const byValue = new Map<string, string[]>();
  for (const role of roles) {
    for (const value of rolesClaimValues(role.when, role.name, entry)) {
      const list = byValue.get(value) ?? [];
      if (!list.includes(role.name)) list.push(role.name);
      byValue.set(value, list);
    }
  }
  return [...byValue.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([value, policyRoles]) => ({ value, policyRoles }));
}

/** Every value the condition compares the `roles` claim with (a `not` still reads it, so it counts too). */
export function rolesClaimValues(c: CompiledCondition, role: string, entry: string): string[] {
  switch (c.op) {
    case "all":
    case "any":
      return c.of.flatMap((x) => rolesClaimValues(x, role, entry));
    case "not":
      return rolesClaimValues(c.of, role, entry);
    case "exists":
      return [];
    default:
      if (c.claim !== ENTRA_ROLES_CLAIM) return [];
  }
  const values = c.op === "in" ? c.values : c.op === "equals" || c.op === "contains" ? [c.value] : undefined;
  if (!values) {
    throw new AppRoleDerivationError(
      `role '${role}' (environment ${entry}) tests the ${ENTRA_ROLES_CLAIM} claim with '${c.op}', which names no ` +
        "value an app role could have; use equals, contains or in with the exact values",
    );
  }
  return values.map((v) => {
    const s = String(v);
    if (typeof v !== "string" || !APP_ROLE_VALUE.test(s)) {
      throw new AppRoleDerivationError(
        `role '${role}' (environment ${entry}): '${s}' cannot be an Entra app role value (1-249 characters, no ` +
          "space, not starting with a period)",
      );
    }
    return s;
  });
}
