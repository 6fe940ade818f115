/**
 * The `sub` claim GitHub's OIDC token carries for each trigger, which Entra compares **exactly** with a federated
 * credential's subject (no wildcard). Source: docs.github.com/actions/reference/security/oidc, "Example subject
 * claims": `repo:<owner>/<repo>:pull_request`, `repo:<owner>/<repo>:ref:refs/heads/<branch>`,
 * `repo:<owner>/<repo>:environment:<name>` (a job bound to an environment presents the environment subject).
 */
export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";
/** The audience azure/login requests and Entra expects for workload identity federation. */
export const AZURE_FEDERATION_AUDIENCE = "api://AzureADTokenExchange";

/** owner/name as GitHub allows them (letters, digits, `-`, `_`, `.`). */
export const GITHUB_REPOSITORY = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
const NAME = /^[A-Za-z0-9._/-]{1,255}$/;

export interface GitHubSubject {
  /** The federated credential's name: 3-120 characters, letters, digits, `-` and `_`. */
  name: string;
  subject: string;
}

export const githubSubject = {
  pullRequest: (repository: string): GitHubSubject => ({
    name: "github-pull-request",
    subject: `repo:${repository}:pull_request`,
  }),
  branch: (repository: string, branch: string): GitHubSubject => ({
    name: `github-branch-${slug(branch)}`,
    subject: `repo:${repository}:ref:refs/heads/${checked(branch, "branch")}`,
  }),
  environment: (repository: string, environment: string): GitHubSubject => ({
    name: `github-environment-${slug(environment)}`,
    subject: `repo:${repository}:environment:${checked(environment, "environment")}`,
  }),
};

function checked(value: string, what: string): string {
  if (!NAME.test(value) || value.includes("*")) throw new Error(`GitHub ${what} '${value}' is not a plain name`);
  return value;
}

function slug(value: string): string {
  return value.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 90);
}
