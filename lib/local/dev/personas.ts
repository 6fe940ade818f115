/**
 * The people of the example policy (policies/policy.yaml), as the local OIDC issuer signs them in. Claims follow the
 * policy's declared claims; tenant and group ids come from the `local` environment's values.
 */
export const CONTOSO = "0c0ffee0-0000-4000-8000-00000000a001"; // = environments.local.values.tenantId
export const FABRIKAM = "0c0ffee0-0000-4000-8000-00000000b001";
export const SUPPORT_GROUP = "0c0ffee0-0000-4000-8000-00000000a0a1"; // = environments.local.values.supportGroupId

export interface Persona {
  id: string;
  label: string;
  /** What the policy should give this persona in the `local` environment, in one line. */
  expect: string;
  tenant: "contoso" | "fabrikam";
  claims: { oid: string; tid: string; name: string; roles: string[]; groups: string[] };
}

const person = (
  n: number,
  id: string,
  label: string,
  tenant: Persona["tenant"],
  roles: string[],
  expect: string,
  groups: string[] = [],
): Persona => ({
  id,
  label,
  expect,
  tenant,
  claims: {
    oid: `0c0ffee0-0000-4000-8000-0000000000${String(n).padStart(2, "0")}`,
    tid: tenant === "contoso" ? CONTOSO : FABRIKAM,
    name: label,
    roles,
    groups,
  },
});

export const PERSONAS: Persona[] = [
  person(
    1,
    "reader",
    "Rita Reader",
    "contoso",
    ["Docs.Reader"],
    "reads Contoso's note, its own profile and its tenant's image",
  ),
  person(
    2,
    "editor",
    "Eddie Editor",
    "contoso",
    ["Docs.Editor"],
    "edits and creates Contoso's documents; profile and image as a reader",
  ),
  person(3, "admin", "Ada Admin", "contoso", ["Docs.Admin"], "everything an editor has; created Contoso's note"),
  person(4, "support", "Sam Support", "contoso", [], "nothing here: the support role exists in production only", [
    SUPPORT_GROUP,
  ]),
  person(5, "outsider", "Olly Outsider", "contoso", [], "nothing: no role matches"),
  person(
    6,
    "fabrikam",
    "Fay of Fabrikam",
    "fabrikam",
    ["Docs.Editor"],
    "an editor of another tenant: its own note and image, never Contoso's",
  ),
];

export function persona(id: string): Persona {
  const p = PERSONAS.find((x) => x.id === id);
  if (!p) throw new Error(`unknown persona '${id}'; personas: ${PERSONAS.map((x) => x.id).join(", ")}`);
  return p;
}

/** The client secret of a persona's client at the local issuer: a fixed demo value, loopback only. */
export const personaSecret = (id: string) => `secret-${id}`;
