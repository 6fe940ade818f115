/** Resource checks: CDN edge rules that Front Door can express, Cosmos RBAC assignments, per-environment values. */
import type { Checker } from "./checker";
import type { ResolvedEnvironment } from "./environments";
import type { PolicyDocument } from "./source-types";
import { closest } from "./spelling";
import { isHttpsOrLoopbackHttp } from "../runtime/loopback";
import { substituteEnv, UUID } from "../runtime/template";
import { FLUID_OWNERS_CONTAINER } from "../runtime/document-owner";

/** Data actions that change items; `*` forms included (`containers/*`, `items/*`, `*`). */
const WRITES_ITEMS = /(^\*$|\/containers\/\*$|\/items\/(\*|create|upsert|replace|delete)$|\/executeStoredProcedure$)/;

/**
 * The Fluid owner registry (the container `fluidDocuments`) is who-owns-what: anyone who can write an item there can
 * make themselves a document's owner. No client credential may reach it: no declared container may take its name
 * (a grant on it would be a resource token for it), and no data role that writes may cover it through a database or
 * account scope. Reading at those scopes stays allowed (an operations group sees owners as it sees all data).
 */
function checkOwnerRegistryReach(doc: PolicyDocument, c: Checker): void {
  for (const name of Object.keys(doc.resources?.cosmos?.containers ?? {})) {
    if (name.toLowerCase() !== FLUID_OWNERS_CONTAINER.toLowerCase()) continue;
    c.report(
      "E_RESERVED_CONTAINER",
      ["resources", "cosmos", "containers", name],
      `the Cosmos container '${name}' is where the broker records who owns each Fluid document; no grant may reach it`,
      "give your container another name; the stacks provision the owner registry themselves, for the broker alone",
      { key: true },
    );
  }
  if (!doc.resources?.fluid?.owners) return;
  for (const [name, a] of Object.entries(doc.cosmosRbac ?? {})) {
    if (a.scope === "container") continue;
    const writes = a.role === "contributor" || (a.dataActions ?? []).some((d) => WRITES_ITEMS.test(d));
    if (!writes) continue;
    c.report(
      "E_RBAC_WRITES_OWNERS",
      ["cosmosRbac", name, "scope"],
      `cosmosRbac '${name}' writes items at ${a.scope} scope, which covers the Fluid owner registry ` +
        `('${FLUID_OWNERS_CONTAINER}'): its principal could record itself as the owner of any document`,
      "use `scope: container` for each container it writes, or `role: reader` at this scope",
    );
  }
}

export function checkResources(doc: PolicyDocument, envs: ResolvedEnvironment[], c: Checker): void {
  const prefixes = doc.resources?.cdn?.prefixes ?? {};
  let firstStatus: { prefix: string; status: number } | undefined;
  for (const [prefix, p] of Object.entries(prefixes)) {
    const at = ["resources", "cdn", "prefixes", prefix, "edge"];
    for (const kind of ["countries", "referrers"] as const) {
      const rule = p.edge?.[kind];
      if (rule?.allow && rule?.deny) {
        c.report(
          "E_EDGE_ALLOW_AND_DENY",
          [...at, kind],
          `edge ${kind} for '${prefix}' has both allow and deny`,
          "use one: `allow` blocks everything not listed, `deny` blocks only what is listed",
          { key: true },
        );
      }
    }
    const listed = p.edge?.referrers?.allow ?? p.edge?.referrers?.deny ?? [];
    (listed === "origins" ? [] : listed).forEach((r, i) => {
      if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(r)) {
        c.report(
          "E_EDGE_REFERRER",
          [...at, "referrers", p.edge!.referrers!.allow ? "allow" : "deny", i],
          `referrer '${r}' is not an http(s) URL prefix`,
          "write the origin and optional path, e.g. https://docs.example.com/",
        );
      }
    });
    if (p.edge?.denialStatus !== undefined) {
      if (firstStatus && firstStatus.status !== p.edge.denialStatus) {
        c.report(
          "E_EDGE_DENIAL_STATUS",
          [...at, "denialStatus"],
          `denialStatus ${p.edge.denialStatus} differs from ${firstStatus.status} on '${firstStatus.prefix}'`,
          "Front Door has one block status per WAF policy: use the same denialStatus on every prefix",
        );
      }
      firstStatus ??= { prefix, status: p.edge.denialStatus };
    }
    if (p.cache === "shared" && p.edge) {
      c.report(
        "E_EDGE_ON_SHARED_PREFIX",
        [...at],
        `prefix '${prefix}' is cached as shared but has edge rules`,
        "a shared copy is served from cache to anyone; use cache: private (the default) where edge rules must hold",
        { key: true },
      );
    }
  }

  checkOwnerRegistryReach(doc, c);

  for (const [name, a] of Object.entries(doc.cosmosRbac ?? {})) {
    const at = ["cosmosRbac", name];
    if ((a.role === undefined) === (a.dataActions === undefined)) {
      c.report(
        "E_RBAC_ROLE",
        at,
        `cosmosRbac '${name}' must have exactly one of role and dataActions`,
        "use `role: reader|contributor` for a built-in role, or `dataActions: [...]` for a custom one",
        { key: true },
      );
    }
    if (a.scope === "container") {
      const containers = Object.keys(doc.resources?.cosmos?.containers ?? {});
      if (!a.container)
        c.report(
          "E_RBAC_SCOPE",
          [...at, "scope"],
          `cosmosRbac '${name}' has scope container but names no container`,
          "add `container: <name>`",
        );
      else if (!containers.includes(a.container)) {
        const guess = closest(a.container, containers);
        c.report(
          "E_UNKNOWN_CONTAINER",
          [...at, "container"],
          `container '${a.container}' is not declared in resources.cosmos.containers`,
          guess ? `did you mean '${guess}'?` : "declare it under resources.cosmos.containers",
        );
      }
    } else if (a.container) {
      c.report(
        "E_RBAC_SCOPE",
        [...at, "container"],
        `cosmosRbac '${name}' names a container but its scope is ${a.scope}`,
        "set `scope: container`, or remove `container`",
        { key: true },
      );
    }
    for (const env of envs) {
      if (!a.principal.includes("${env.")) {
        if (!UUID.test(a.principal))
          c.report(
            "E_RBAC_PRINCIPAL",
            [...at, "principal"],
            `principal of cosmosRbac '${name}' is not an Entra object id (a uuid)`,
            "use the object id of the user, group or service principal",
          );
        break;
      }
      const value = substituteEnv(a.principal, env.values);
      if (!value.includes("${") && !UUID.test(value)) {
        c.report(
          "E_ENV_VALUE",
          [...at, "principal"],
          `in environment '${env.entry}', the principal of cosmosRbac '${name}' is not an Entra object id (a uuid)`,
          `set environments.${env.entry}.values to a real object id`,
        );
      }
    }
  }

  for (const [name, issuer] of Object.entries(doc.issuers)) {
    for (const env of envs.filter((e) => issuer.environments === undefined || issuer.environments.includes(e.entry))) {
      if (issuer.issuer) {
        const url = substituteEnv(issuer.issuer, env.values);
        if (!url.includes("${") && !isIssuerUrl(url)) {
          c.report(
            "E_ENV_VALUE",
            ["issuers", name, "issuer"],
            `in environment '${env.entry}', issuer '${name}' is not an https URL`,
            "an issuer is https://... (http is accepted only for 127.0.0.1 and localhost, for local runs)",
          );
        }
      }
      (issuer.tenants ?? []).forEach((t, i) => {
        const tid = substituteEnv(t, env.values);
        if (!tid.includes("${") && !UUID.test(tid)) {
          c.report(
            "E_ENV_VALUE",
            ["issuers", name, "tenants", i],
            `in environment '${env.entry}', tenant ${JSON.stringify(tid)} of issuer '${name}' is not a tenant id (a uuid)`,
            "use the Entra tenant id (a uuid), not its domain name",
          );
        }
      });
    }
  }
}

function isIssuerUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return isHttpsOrLoopbackHttp(u);
  } catch {
    return false;
  }
}
