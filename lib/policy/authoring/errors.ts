/**
 * Policy diagnostics. Every problem found while loading, validating or compiling a policy becomes one
 * `PolicyDiagnostic` that names where it is (file:line:column), what is wrong and how to fix it.
 * Callers branch on `code`, never on message text (the codes are part of the public contract).
 */

export type DiagnosticCode =
  | "E_YAML" // the file is not well-formed YAML
  | "E_YAML_ALIAS" // an anchor or alias: not part of the policy YAML subset (docs/policy-language.md)
  | "E_YAML_LIMIT" // a file longer, or nested deeper, than the policy YAML subset allows
  | "E_SCHEMA" // the document does not match its JSON Schema (lib/policy/schemas/)
  | "E_ISSUER_FIELDS" // an issuer's fields do not fit its type (entra: tenants; oidc: issuer URL)
  | "E_CONDITION_FORM" // a condition mixes all/any/not with claim tests, or a claim test has not exactly one operator
  | "E_EDGE_ALLOW_AND_DENY" // an edge rule list has both allow and deny
  | "E_EDGE_REFERRER" // a referrer rule that is not an http(s) URL prefix
  | "E_EDGE_DENIAL_STATUS" // two prefixes ask for different block statuses (Front Door has one per WAF policy)
  | "E_EDGE_ON_SHARED_PREFIX" // edge rules on a prefix whose cached copy anyone may get
  | "E_RBAC_ROLE" // a cosmosRbac entry without exactly one of role and dataActions
  | "E_RBAC_SCOPE" // a cosmosRbac container scope without a container, or a container with another scope
  | "E_RBAC_PRINCIPAL" // a cosmosRbac principal that is not an Entra object id
  | "E_UNDECLARED_CLAIM" // a condition or template names a claim the issuer does not declare
  | "E_CLAIM_TYPE" // an operator or template does not fit the claim's declared type
  | "E_UNKNOWN_ISSUER"
  | "E_UNKNOWN_ROLE" // `inherits` names a role that does not exist
  | "E_INHERITANCE_CYCLE"
  | "E_UNKNOWN_CONTAINER"
  | "E_UNKNOWN_PATH" // a CDN grant outside every declared CDN prefix
  | "E_UNKNOWN_RESOURCE" // a grant for a backend the policy does not declare
  | "E_TTL_LIMIT" // a TTL above the backend's limit (never silently clamped)
  | "E_DURATION"
  | "E_TEMPLATE" // a template that is malformed or could yield an empty or wider scope
  | "E_TEMPLATE_AMBIGUOUS" // two different claim values could yield overlapping scopes (README "Template collisions")
  | "E_ENV_VALUE" // ${env.x} not defined by an environment
  | "E_ENVIRONMENT" // the environments section itself is wrong
  | "E_ORIGIN" // an allowed web origin the environment's stage does not permit (http or a pattern outside development)
  | "E_NEVER_MATCHES" // a condition or grant that can never apply
  | "E_DUPLICATE" // the same role, grant or rule twice
  | "E_SHADOWED" // a role that adds nothing another role does not already give under the same condition
  | "E_PATTERN" // an invalid regular expression or glob
  | "E_RESERVED_NAME" // a name every JavaScript object already has (constructor, toString, __proto__, ...)
  | "E_RESERVED_CONTAINER" // a Cosmos container named like the broker's Fluid owner registry (fluidDocuments)
  | "E_RBAC_WRITES_OWNERS" // a cosmosRbac role that writes every container, the Fluid owner registry included
  | "E_FILE" // a file cannot be read
  // Warnings: the policy compiles, but something in it cannot work as written.
  | "W_ENTRA_AUDIENCE" // an Entra audience no token of the accepted version(s) can carry (v2.0: aud is the client id)
  | "W_EDGE_REFERRER_ORIGIN" // a CDN referrer allow rule that no page of an environment's allowedOrigins can match
  | "W_EDGE_REFERRER_REQUIRED"; // referrer allow rules refuse every client that sends no Referer (mobile apps)

export type Severity = "error" | "warning";

export interface SourcePosition {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
}

export interface PolicyDiagnostic extends SourcePosition {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  hint: string;
  /** JSON path inside the document, e.g. ["roles", "reader", "grants", 0]. */
  path: (string | number)[];
}

export function formatDiagnostic(d: PolicyDiagnostic): string {
  return `${d.file}:${d.line}:${d.column} ${d.severity} ${d.code}: ${d.message}\n  hint: ${d.hint}`;
}

/** Thrown by the compiler when asked to compile a policy that has errors. */
export class PolicyError extends Error {
  readonly code = "ERR_POLICY_INVALID";
  constructor(readonly diagnostics: PolicyDiagnostic[]) {
    super(`the policy has ${diagnostics.length} error(s):\n` + diagnostics.map(formatDiagnostic).join("\n"));
    this.name = "PolicyError";
  }
}
