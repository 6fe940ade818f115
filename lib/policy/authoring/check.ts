/** Validate: every semantic check over a loaded bundle. All problems at once, in file order. */
import { Checker } from "./checker";
import { checkEdgeReferrers } from "./check-edge-referrers";
import { checkEntraAudiences } from "./check-entra-audiences";
import { checkGrants } from "./check-grants";
import { checkIssuerEnvironments } from "./check-issuer-environments";
import { checkIssuers } from "./check-issuers";
import { checkOrigins } from "./check-origins";
import { checkReferences } from "./check-references";
import { checkResources } from "./check-resources";
import { checkRoles } from "./check-roles";
import { checkSharedState } from "./check-shared-state";
import { checkTemplateCollisions } from "./check-template-collisions";
import { representativeEnvironments } from "./environments";
import type { PolicyDiagnostic } from "./errors";
import type { PolicyBundle } from "./load";

export function checkBundle(bundle: PolicyBundle): PolicyDiagnostic[] {
  const c = new Checker(bundle.policy);
  const doc = bundle.document;
  const entries = bundle.environments.entries;
  const envs = representativeEnvironments(entries);
  checkReferences(doc, entries, c);
  checkIssuers(doc, c);
  checkIssuerEnvironments(doc, entries, c);
  checkEntraAudiences(doc, entries, c);
  checkRoles(doc, envs, c);
  checkGrants(doc, c);
  checkTemplateCollisions(doc, c);
  checkResources(doc, envs, c);
  checkEdgeReferrers(doc, envs, c);
  checkSharedState(doc, c);
  const origins = new Checker(bundle.environments.source);
  checkOrigins(bundle.environments.path, entries, origins);
  return sortDiagnostics([...c.diagnostics, ...origins.diagnostics]);
}

export function sortDiagnostics(list: PolicyDiagnostic[]): PolicyDiagnostic[] {
  return [...list].sort((a, b) =>
    a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1,
  );
}
