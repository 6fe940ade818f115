/**
 * The bootstrap stack's outputs (`cdktf deploy broker-bootstrap --outputs-file f`) turned into what the rest of the
 * repository needs, so nothing is copied from the portal by hand: the values environments.yaml holds (each entry's
 * `apiAudience`, the remote state of each non-ephemeral entry) and the GitHub Actions variables the workflows read.
 * Every value is checked against the shape Azure gives it before it is written anywhere or printed into a shell
 * line: a tampered outputs file cannot smuggle a command or a YAML structure through.
 */
import { isMap, parseDocument } from "yaml";
import { ownValue } from "../policy/runtime/own";
import { GITHUB_REPOSITORY } from "../constructs/bootstrap/github-subjects";
import { API_AUDIENCE_VALUE } from "../policy/authoring/entra-app-roles";

export class BootstrapOutputsError extends Error {
  readonly code = "ERR_BOOTSTRAP_OUTPUTS";
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules (Microsoft.Resources,
// Microsoft.Storage storageAccounts and blobServices/containers).
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
const STORAGE_ACCOUNT = /^[a-z0-9]{3,24}$/;
const CONTAINER = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const ENTRY = /^[a-z][a-z0-9]{0,7}$/;
const GITHUB_ENVIRONMENT = /^[A-Za-z0-9._-]{1,255}$/;
const STAGES = new Set(["development", "production", "ephemeral"]);

export interface BootstrapOutputs {
  tenantId: string;
  subscriptionId: string;
  repository: string;
  state: { resourceGroup: string; storageAccount: string; containers: Record<string, string> };
  stages: Record<string, string>;
  apiClientIds: Record<string, string>;
  ephemeral?: { entry: string; clientId: string; smokeApiClientId?: string };
  production?: { clientId: string; githubEnvironment: string };
}

/** Reads and checks one stack's outputs from a cdktf outputs file: `{ "<stack>": { "<output>": value } }`. */
export function readBootstrapOutputs(file: unknown, stackId: string): BootstrapOutputs {
  const o = ownValue(file as Record<string, Record<string, unknown>> | null, stackId);
  if (typeof o !== "object" || o === null)
    throw new BootstrapOutputsError(`the outputs file has no stack '${stackId}'`);
  const get = (name: string, shape: RegExp, optional = false): string => {
    const v = ownValue(o, name);
    if (v === undefined && optional) return "";
    if (typeof v !== "string" || !shape.test(v)) {
      throw new BootstrapOutputsError(`output '${name}' is ${v === undefined ? "missing" : "not what Azure gives"}`);
    }
    return v;
  };
  const map = (name: string, shape: RegExp, keyShape = ENTRY): Record<string, string> => {
    const v = ownValue(o, name);
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new BootstrapOutputsError(`output '${name}' must be a map`);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      if (!keyShape.test(k) || typeof x !== "string" || !shape.test(x))
        throw new BootstrapOutputsError(`output '${name}' has an unexpected entry`);
      out[k] = x;
    }
    return out;
  };
  const stages = map("environment_stages", /^[a-z]+$/);
  if (Object.values(stages).some((s) => !STAGES.has(s)))
    throw new BootstrapOutputsError("output 'environment_stages' names an unknown stage");
  const ephemeralEntry = get("ephemeral_entry", ENTRY, true);
  const productionClient = get("production_deployer_client_id", GUID, true);
  return {
    tenantId: get("azure_tenant_id", GUID),
    subscriptionId: get("azure_subscription_id", GUID),
    repository: get("github_repository", GITHUB_REPOSITORY),
    state: {
      resourceGroup: get("tfstate_resource_group", RESOURCE_GROUP),
      storageAccount: get("tfstate_storage_account", STORAGE_ACCOUNT),
      containers: map("tfstate_containers", CONTAINER),
    },
    stages,
    apiClientIds: map("api_client_ids", GUID),
    ...(ephemeralEntry && {
      ephemeral: {
        entry: ephemeralEntry,
        clientId: get("ephemeral_deployer_client_id", GUID),
        ...(get("smoke_api_client_id", GUID, true) && { smokeApiClientId: get("smoke_api_client_id", GUID) }),
      },
    }),
    ...(productionClient && {
      production: {
        clientId: productionClient,
        githubEnvironment: get("production_github_environment", GITHUB_ENVIRONMENT),
      },
    }),
  };
}

/** The repository variables .github/workflows/ephemeral-env.yml reads (`vars.*`), and the production ones. */
export function githubVariables(o: BootstrapOutputs): { name: string; value: string; environment?: string }[] {
  const vars: { name: string; value: string; environment?: string }[] = [
    { name: "AZURE_TENANT_ID", value: o.tenantId },
    { name: "AZURE_SUBSCRIPTION_ID", value: o.subscriptionId },
  ];
  if (o.ephemeral) {
    const container = o.state.containers[o.ephemeral.entry];
    if (!container) throw new BootstrapOutputsError(`no state container for '${o.ephemeral.entry}'`);
    vars.push(
      { name: "AZURE_CLIENT_ID", value: o.ephemeral.clientId },
      { name: "TFSTATE_RESOURCE_GROUP", value: o.state.resourceGroup },
      { name: "TFSTATE_STORAGE_ACCOUNT", value: o.state.storageAccount },
      { name: "TFSTATE_CONTAINER", value: container },
    );
    if (o.ephemeral.smokeApiClientId) vars.push({ name: "SMOKE_API_CLIENT_ID", value: o.ephemeral.smokeApiClientId });
  }
  if (o.production) {
    // An environment variable overrides the repository one in jobs bound to that environment.
    vars.push({ name: "AZURE_CLIENT_ID", value: o.production.clientId, environment: o.production.githubEnvironment });
  }
  return vars;
}

/** `gh variable set` lines (GitHub CLI); every value was checked above, and each is single-quoted anyway. */
export function githubVariableCommands(o: BootstrapOutputs): string {
  const lines = [
    `# GitHub Actions variables for ${o.repository} (not secrets: ids and names only)`,
    ...githubVariables(o).map(
      (v) =>
        `gh variable set ${v.name} --repo '${o.repository}'${v.environment ? ` --env '${v.environment}'` : ""} --body '${v.value}'`,
    ),
  ];
  if (o.production) {
    lines.push(
      `# Protect the '${o.production.githubEnvironment}' environment (required reviewers, deployment branches) in the`,
      "# repository settings: its subject is the only one the production identity trusts.",
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * environments.yaml with each entry's `values.apiAudience` set to its API's client id and, for non-ephemeral
 * entries, `azure.state` set to the bootstrap's storage. Comments and the rest of the file are kept.
 */
export function updateEnvironmentsYaml(text: string, o: BootstrapOutputs): { text: string; changes: string[] } {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new BootstrapOutputsError(`environments.yaml: ${doc.errors[0].message}`);
  const entries = doc.getIn(["environments"]);
  if (!isMap(entries)) throw new BootstrapOutputsError("environments.yaml has no `environments:` map");
  const changes: string[] = [];
  const set = (path: string[], value: unknown, label: string) => {
    const before = doc.getIn(path);
    const same =
      JSON.stringify(
        before && typeof before === "object" ? (doc.getIn(path, true) as { toJSON(): unknown }).toJSON() : before,
      ) === JSON.stringify(value);
    if (same) return;
    const node = doc.createNode(value);
    // One line, as the file writes its other small maps.
    if (isMap(node)) node.flow = true;
    doc.setIn(path, node);
    changes.push(label);
  };
  for (const [entry, clientId] of Object.entries(o.apiClientIds)) {
    if (!entries.has(entry)) throw new BootstrapOutputsError(`environments.yaml has no entry '${entry}'`);
    set(["environments", entry, "values", API_AUDIENCE_VALUE], clientId, `${entry}.values.${API_AUDIENCE_VALUE}`);
  }
  for (const [entry, container] of Object.entries(o.state.containers)) {
    // Ephemeral entries get their backend from TOKEN_BROKER_STATE_* (the TFSTATE_* variables), per PR key.
    if (o.stages[entry] === "ephemeral" || !entries.has(entry)) continue;
    set(
      ["environments", entry, "azure", "state"],
      { resourceGroup: o.state.resourceGroup, storageAccount: o.state.storageAccount, container },
      `${entry}.azure.state`,
    );
  }
  return { text: doc.toString({ lineWidth: 0, flowCollectionPadding: false }), changes };
}
