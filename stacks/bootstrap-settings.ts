/**
 * What the bootstrap stack creates, read from the same policy folder as the broker stacks: the environments
 * (state containers, API registrations), the app roles the policy reads, the smoke-test role, and the GitHub
 * repository whose workflows get federated credentials.
 *
 * App roles the policy no longer reads are not deleted silently: `<policies>/entra-app-roles.json` records every
 * role value registered per environment (`token-broker bootstrap app-roles --write` updates it). A recorded value
 * the policy stopped reading stays in the registration, disabled, and synthesis warns; deleting it is a deliberate
 * edit of that file once its assignments are gone.
 *
 * The repository: TOKEN_BROKER_GITHUB_REPOSITORY, else GITHUB_REPOSITORY, else the `github.com` origin of the git
 * checkout; if none, the stack takes it as the Terraform variable `github_repo` at deploy time (`--var github_repo=owner/name`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { checkedOrThrow, loadCheckedPolicy } from "../lib/policy/authoring/checked-policy";
import { entraApiNeeds, type EntraApiNeeds } from "../lib/policy/authoring/entra-app-roles";
import { filesOnDisk, type PolicyFiles } from "../lib/policy/authoring/policy-files";
import type { RuntimeConfig, Stage } from "../lib/policy/authoring/infra-needs";
import { GITHUB_REPOSITORY } from "../lib/constructs/bootstrap/github-subjects";
import { resourceName } from "../lib/constructs/naming";

export const APP_ROLE_RECORD = "entra-app-roles.json";

/** The policy folder cannot be bootstrapped as it stands (the message says why and what to change). */
export class BootstrapSettingsError extends Error {
  readonly code = "ERR_BOOTSTRAP_SETTINGS";
}

/** What the ephemeral workflow's smoke test asks for (.github/workflows/ephemeral-env.yml, `--require fluid,cosmos`). */
export const SMOKE_TEST_NEEDS = { cosmosContainer: "documents", fluidCreate: true } as const;

export interface BootstrapApi {
  entry: string;
  stage: Stage;
  tenants: string[];
  /** Sorted by value; `enabled: false` for recorded values the policy no longer reads. */
  appRoles: { value: string; policyRoles: string[]; enabled: boolean }[];
}

export interface BootstrapSettings {
  workload: string;
  owner: string;
  location: string;
  github: { repository?: string; defaultBranch: string; productionEnvironment: string };
  state: { resourceGroup: string; storageAccount: string; containers: Record<string, string> };
  /** Deployable environments.yaml entries and their stages. */
  entries: { entry: string; stage: Stage }[];
  apis: BootstrapApi[];
  /** The ephemeral entry's API and the app role its smoke-test identity (the PR deploy identity) needs. */
  smokeTest?: { entry: string; appRole: string };
  /** Why no smoke-test role was assigned, when the ephemeral entry has an API but no role fits. */
  smokeTestProblem?: string;
  /** Values the policy reads that the record lacks (synthesis tells you to record them). */
  unrecorded: Record<string, string[]>;
}

export interface BootstrapSettingsOptions {
  environ?: NodeJS.ProcessEnv;
  /** Where the git origin is read from. @default the policy folder's parent; none when environ is given */
  gitDir?: string;
}

export function bootstrapSettings(
  policy: string | PolicyFiles,
  options: BootstrapSettingsOptions = {},
): BootstrapSettings {
  const files = typeof policy === "string" ? filesOnDisk(resolve(policy)) : policy;
  const bundle = checkedOrThrow(loadCheckedPolicy(files));
  const environ = options.environ ?? process.env;
  const entries = Object.entries(bundle.environments.entries)
    .filter(([, e]) => e.deploy !== false)
    .map(([entry, e]) => ({ entry, stage: e.stage, azure: e.azure ?? {} }));
  if (entries.length === 0)
    throw new BootstrapSettingsError("environments.yaml has no deployable environment to bootstrap");
  const firstAzure = entries[0].azure;
  const workload = firstAzure.workload ?? "tb";
  const record = readRecord(files, typeof policy === "string" ? resolve(policy) : undefined);
  const needs = entraApiNeeds(bundle);
  const apis = needs.map((n) => apiOf(n, record[n.entry] ?? []));
  const unrecorded = Object.fromEntries(
    needs
      .map((n) => [n.entry, n.appRoles.map((r) => r.value).filter((v) => !(record[n.entry] ?? []).includes(v))])
      .filter(([, v]) => v.length > 0),
  ) as Record<string, string[]>;
  const ephemeral = needs.find((n) => n.stage === "ephemeral");
  const gitDir =
    options.gitDir ?? (options.environ ? undefined : typeof policy === "string" ? join(policy, "..") : undefined);
  return {
    workload,
    owner: firstAzure.owner ?? "platform",
    location: firstAzure.location ?? "westeurope",
    github: {
      repository: repositoryFrom(environ, gitDir),
      defaultBranch: environ.TOKEN_BROKER_GITHUB_DEFAULT_BRANCH || "main",
      productionEnvironment: environ.TOKEN_BROKER_GITHUB_PRODUCTION_ENVIRONMENT || "production",
    },
    state: {
      resourceGroup: resourceName("resourceGroup", { workload, environment: "bootstrap" }),
      storageAccount: resourceName("storageAccount", { workload, environment: "tfstate" }),
      containers: Object.fromEntries(entries.map((e) => [e.entry, `tfstate-${e.entry}`])),
    },
    entries: entries.map(({ entry, stage }) => ({ entry, stage })),
    apis,
    ...smokeTestOf(ephemeral),
    unrecorded,
  };
}

function apiOf(n: EntraApiNeeds, recorded: string[]): BootstrapApi {
  const read = new Set(n.appRoles.map((r) => r.value));
  const retired = recorded.filter((v) => !read.has(v)).map((value) => ({ value, policyRoles: [], enabled: false }));
  const appRoles = [...n.appRoles.map((r) => ({ ...r, enabled: true })), ...retired].sort((a, b) =>
    a.value < b.value ? -1 : a.value > b.value ? 1 : 0,
  );
  return { entry: n.entry, stage: n.stage, tenants: n.tenants, appRoles };
}

function smokeTestOf(ephemeral?: EntraApiNeeds): Pick<BootstrapSettings, "smokeTest" | "smokeTestProblem"> {
  if (!ephemeral) return {};
  const appRole = smokeTestRole(ephemeral);
  return appRole
    ? { smokeTest: { entry: ephemeral.entry, appRole } }
    : {
        smokeTestProblem:
          `environment ${ephemeral.entry}: no role matched by a single app role grants what the smoke test asks for ` +
          `(Cosmos container '${SMOKE_TEST_NEEDS.cosmosContainer}' and a Fluid creation token); no app role is ` +
          "assigned to the PR deploy identity, so assign one by hand or change the workflow's smoke requests",
      };
}

/**
 * The least-granting role that gets the smoke test what it asks for: a role matched by one app role value alone,
 * granting a Cosmos credential on the smoke container and a Fluid creation token; the fewest grants wins.
 */
export function smokeTestRole(needs: Pick<EntraApiNeeds, "entry" | "config">): string | undefined {
  const candidates = needs.config.roles
    .map((role) => ({ role, value: singleRoleValue(role.when) }))
    .filter((c): c is { role: RuntimeConfig["roles"][number]; value: string } => c.value !== undefined)
    .filter(
      ({ role }) =>
        role.grants.some((g) => g.type === "cosmos" && g.container === SMOKE_TEST_NEEDS.cosmosContainer) &&
        role.grants.some((g) => g.type === "fluid" && g.create === SMOKE_TEST_NEEDS.fluidCreate),
    )
    .sort((a, b) => a.role.grants.length - b.role.grants.length);
  return candidates[0]?.value;
}

function singleRoleValue(c: RuntimeConfig["roles"][number]["when"]): string | undefined {
  if ((c.op === "contains" || c.op === "equals") && c.claim === "roles" && typeof c.value === "string") return c.value;
  if (c.op === "in" && c.claim === "roles" && c.values.length === 1 && typeof c.values[0] === "string")
    return c.values[0];
  return undefined;
}

/** `{ "<entry>": ["Docs.Editor", ...] }`; absent file = nothing recorded yet. */
export function readRecord(files: PolicyFiles, dir?: string): Record<string, string[]> {
  const path = appRoleRecordPath(files, dir);
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new BootstrapSettingsError(`${path}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new BootstrapSettingsError(`${path}: expected { "<environment>": ["<app role value>", ...] }`);
  const out: Record<string, string[]> = {};
  for (const [entry, values] of Object.entries(parsed)) {
    if (!Array.isArray(values) || values.some((v) => typeof v !== "string"))
      throw new BootstrapSettingsError(`${path}: '${entry}' must be a list of app role values`);
    out[entry] = values as string[];
  }
  return out;
}

export function appRoleRecordPath(files: PolicyFiles, dir?: string): string {
  return join(dir ?? resolve(files.policyFile, ".."), APP_ROLE_RECORD);
}

function repositoryFrom(environ: NodeJS.ProcessEnv, gitDir?: string): string | undefined {
  const explicit = environ.TOKEN_BROKER_GITHUB_REPOSITORY || environ.GITHUB_REPOSITORY;
  if (explicit) {
    if (!GITHUB_REPOSITORY.test(explicit))
      throw new BootstrapSettingsError(`'${explicit}' is not a GitHub repository (owner/name)`);
    return explicit;
  }
  if (!gitDir) return undefined;
  let url: string;
  try {
    url = execFileSync("git", ["-C", gitDir, "remote", "get-url", "origin"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
  const m = /github\.com[:/]([^/]+\/[^/]+?)(?:\.git)?\/?$/.exec(url);
  return m && GITHUB_REPOSITORY.test(m[1]) ? m[1] : undefined;
}
