/**
 * Every `token-broker` command: its usage, one line on what it does, its options and its exit codes. The help,
 * the "did you mean" suggestion and the README's table come from here, and test/cli/help.test.ts runs `--help` on
 * each entry, so a command missing from this table is a failing test, not a command without help.
 */
export interface CommandSpec {
  /** `["policy", "check"]`, or one word for a command without subcommands (`["smoke"]`). */
  path: string[];
  usage: string;
  summary: string;
  options?: [flag: string, what: string][];
  /** Exit codes beyond the common ones (0 ok, 2 usage, 70 internal error). */
  exits?: [code: number, meaning: string][];
}

const DIR_OPTIONS: [string, string][] = [
  ["[dir] | --policies <dir>", "the policy folder (default: the nearest policies/ from here upward)"],
  ["--json", "machine-readable output"],
];
const POLICY_ERRORS: [number, string] = [1, "policy errors"];
const STORE: [string, string] = ["--store <redis url>", "the environment's shared store (default: SHARED_STORE_URL)"];

export const COMMANDS: CommandSpec[] = [
  {
    path: ["init"],
    usage: "token-broker init [dir] [--force]",
    summary: "scaffold a policy repository: policies/ with tests, a CDKTF app, workflows, a README",
    options: [
      ["[dir]", "where to write (default: here); it must be empty apart from package.json and node_modules"],
      ["--force", "write into a folder that has other files (never overwrites one)"],
    ],
    exits: [[1, "the folder is not empty or a file already exists"]],
  },
  {
    path: ["policy", "check"],
    usage: "token-broker policy check [dir] [--json]",
    summary: "schema + semantic checks (file:line:column, what, how to fix)",
    options: DIR_OPTIONS,
    exits: [POLICY_ERRORS],
  },
  {
    path: ["policy", "compile"],
    usage: "token-broker policy compile [dir] --env <name> [--out <file>] [--infra <file>] [--json]",
    summary: "write the runtime config and the infrastructure needs of one environment",
    options: [
      ["--env <name>", "the environment (dev, prod, pr-42, ...)"],
      ["--out <file>", "write the runtime config here (default: print it)"],
      ["--infra <file>", "write the infrastructure needs here"],
      ...DIR_OPTIONS,
    ],
    exits: [POLICY_ERRORS],
  },
  {
    path: ["policy", "test"],
    usage: "token-broker policy test [dir] [--json]",
    summary: "run the policy tests in <dir>/tests",
    options: DIR_OPTIONS,
    exits: [[1, "policy errors, failing tests or no tests"]],
  },
  {
    path: ["policy", "explain"],
    usage:
      "token-broker policy explain [dir] --env <name> (--token <jwt> | --token-file <f> | --claims <file>) [--request <json>]...",
    summary: "which roles match and why, what they grant, what the requests get",
    options: [
      ["--env <name>", "the environment"],
      ["--token <jwt> | --token-file <f>", "read the claims from a token (its signature is not checked)"],
      ["--claims <file>", "read the claims from a JSON or YAML file"],
      ["--issuer <name>", "the policy issuer the claims come from (default: the token's iss)"],
      ["--request <json>", "a request to evaluate, as the broker receives it (repeatable)"],
      ...DIR_OPTIONS,
    ],
    exits: [POLICY_ERRORS],
  },
  {
    path: ["policy", "diff"],
    usage: "token-broker policy diff <base> <head> [--env <name>] [--fail-on-widen] [--json]",
    summary: "who gains or loses what; base/head are directories or git revisions",
    options: [
      ["--env <name>", "only this environment (default: every environment)"],
      ["--fail-on-widen", "exit 3 when any access widens"],
      ["--json", "machine-readable output"],
    ],
    exits: [POLICY_ERRORS, [3, "access widened (with --fail-on-widen)"]],
  },
  {
    path: ["policy", "review"],
    usage:
      "token-broker policy review <base> <head> [--replay-log <f>] [--out comment.md] [--github-output <f>] [--full-diff <f>]",
    summary: "check + test + diff (+ replay) as one pull-request comment",
    options: [
      ["--env <name>", "only this environment"],
      ["--replay-log <f> [--replay-env <name>] [--hash-key-file <f>]", "replay recorded callers (audit export)"],
      ["--out <file>", "write the comment here"],
      ["--full-diff <file>", "the complete diff when the comment must be shortened"],
      ["--github-output <file>", "append step outputs (GitHub Actions)"],
      ["--details-url <url>", "where the full report lives"],
      ["--json", "machine-readable output"],
    ],
    exits: [POLICY_ERRORS, [3, "access widened"]],
  },
  {
    path: ["policy", "replay"],
    usage: "token-broker policy replay --log <f> <base> <head> [--env <name>] [--hash-key-file <f>] [--json]",
    summary: "which recorded callers (audit export) would gain or lose which access",
    options: [
      ["--log <file>", "the audit export (JSON lines)"],
      ["--env <name>", "the environment the log was recorded in"],
      ["--hash-key-file <f>", "the key the audit log's subject hashes were made with"],
      ["--json", "machine-readable output"],
    ],
    exits: [
      [1, "a side has errors"],
      [3, "a recorded caller would gain access"],
      [4, "cannot tell: a role reads claims the audit records do not hold (docs/replay.md)"],
    ],
  },
  {
    path: ["revoke"],
    usage:
      "token-broker revoke --env <name> (--subject <sub> [--issuer <policy issuer>] | --jti <id>) [--reason <text>] [--store <url>] [dir]",
    summary: "deny-list entry + the subject's Cosmos users/permissions",
    options: [
      ["--env <name>", "the environment"],
      ["--subject <sub> [--issuer <name>]", "revoke every token of this subject"],
      ["--jti <id>", "revoke one token"],
      ["--reason <text>", "recorded with the entry"],
      STORE,
      ...DIR_OPTIONS,
    ],
    exits: [[1, "policy errors, revocation off, or the store is unreachable"]],
  },
  {
    path: ["cosmos", "gc"],
    usage: "token-broker cosmos gc --env <name> [--expired-for 1d] [--max-users 500] [--store <url>] [dir]",
    summary: "delete Cosmos users whose permissions all expired (COSMOS_ENDPOINT, COSMOS_KEY)",
    options: [
      ["--env <name>", "the environment"],
      ["--expired-for <duration>", "only users expired at least this long (default 1d)"],
      ["--max-users <n>", "at most this many per run (default 500)"],
      STORE,
      ...DIR_OPTIONS,
    ],
    exits: [[1, "policy errors or a backend is unreachable"]],
  },
  {
    path: ["cdn", "encrypt"],
    usage: "token-broker cdn encrypt --key <key> <ec_params>",
    summary: "ECToken v3 for EdgeCast-compatible CDNs",
    options: [["--key <key>", "the key (or set ECTOKEN_KEY, to keep it out of shell history)"]],
  },
  {
    path: ["cdn", "decrypt"],
    usage: "token-broker cdn decrypt --key <key> <token>",
    summary: "print an ECToken's plaintext",
    options: [["--key <key>", "the key (or set ECTOKEN_KEY)"]],
    exits: [[1, "wrong key or altered token"]],
  },
  {
    path: ["dev", "token"],
    usage: "token-broker dev token <persona> [--port <n>]",
    summary: "a persona's access token from the running `npm run dev`",
    options: [["--port <n>", "the demo page's port (default: TB_DEV_PORT or 7070)"]],
    exits: [[1, "the local environment is not running"]],
  },
  {
    path: ["pr", "comment"],
    usage: "token-broker pr comment --pr <n> --body-file <f> [--marker <m>] [--author <login>]",
    summary: "create or update the bot's one marked comment (GITHUB_TOKEN, GITHUB_REPOSITORY)",
    options: [
      ["--marker <m>", "the hidden marker that finds the comment again"],
      ["--author <login>", "only a comment by this login counts as ours (default: github-actions[bot])"],
    ],
    exits: [[1, "GitHub refused"]],
  },
  {
    path: ["pr", "label"],
    usage: "token-broker pr label --pr <n> <name> (--add | --remove)",
    summary: "add or remove a label (GITHUB_TOKEN, GITHUB_REPOSITORY)",
    exits: [[1, "GitHub refused"]],
  },
  {
    path: ["env", "expired"],
    usage:
      "token-broker env expired --resource-groups <az group list json | -> [--repository <o/r>] [--now <date>] [--json]",
    summary: "this repository's pr-<n> environments past their expires-on tag (selected by name and tags)",
    exits: [[1, "the resource group list cannot be read"]],
  },
  {
    path: ["env", "recheck"],
    usage: "token-broker env recheck --resource-group <az group show json> --name <rg> [--repository <o/r>]",
    summary: "right before a sweep destroys: prints destroy, or keep and why (expires-on re-read)",
    exits: [[1, "the group cannot be read or is not this repository's"]],
  },
  {
    path: ["env", "comment"],
    usage:
      "token-broker env comment --outputs <file> --stack <id> [--smoke <file>] [--expires-on <date>] [--run-url <url>] [--out <file>]",
    summary: "the pull-request comment for a deployed environment (from cdktf deploy --outputs-file)",
    exits: [[1, "the outputs file cannot be read"]],
  },
  {
    path: ["smoke"],
    usage:
      "token-broker smoke <broker-url> (--token-file <f> | --token-env <VAR>) [--request <json>]... [--require <types>]",
    summary: "health + one token exchange against a deployed broker",
    options: [
      ["--request <json>", "a request to send (repeatable; default: one CDN path)"],
      [
        "--require <types>",
        "fluid,cosmos,cdn: each must come back as a credential (proves Key Vault references resolved)",
      ],
    ],
    exits: [[1, "the broker failed a check"]],
  },
  {
    path: ["deploy", "publish"],
    usage: "token-broker deploy publish --stack <id> --outputs <outputs.json> [--package <zip>] [--out-dir cdktf.out]",
    summary: "after cdktf deploy: One Deploy of the broker package, restart, wait for health (Entra credentials)",
    options: [
      ["--stack <id>", "the stack that was deployed (broker-dev, broker-pr-42, ...)"],
      ["--outputs <file>", "cdktf deploy --outputs-file"],
      ["--package <zip>", "the package to publish (default: the one synthesized for the stack)"],
      ["--out-dir <dir>", "where cdktf synthesized (default cdktf.out)"],
    ],
    exits: [[1, "Azure refused, the deployment failed, or the app did not become healthy"]],
  },
  {
    path: ["fluid", "forget"],
    usage: "token-broker fluid forget <documentId> --tenant <value>",
    summary: "delete a Fluid document's owner record (owner-scoped grants then deny it); prints the audit record",
    options: [["--tenant <value>", "the value of the policy's tenant claim the document was registered under"]],
    exits: [[1, "no owner is recorded for that document, or Cosmos is not configured"]],
  },
  {
    path: ["bootstrap", "outputs"],
    usage:
      "token-broker bootstrap outputs --outputs <file> [--stack broker-bootstrap] [--environments <yaml>] [--github-variables <file>]",
    summary: "write the bootstrap stack's outputs back: environments.yaml values and the GitHub variables",
    options: [
      ["--outputs <file>", "cdktf deploy broker-bootstrap --outputs-file <file>"],
      ["--environments <yaml>", "set each entry's apiAudience and remote state in this environments.yaml"],
      ["--github-variables <file>", "write the `gh variable set` lines here (default: print them)"],
    ],
    exits: [[1, "the outputs file is missing a value or holds one Azure would not give"]],
  },
  {
    path: ["bootstrap", "app-roles"],
    usage: "token-broker bootstrap app-roles [dir] [--write] [--json]",
    summary: "the Entra app roles the policy reads per environment, against policies/entra-app-roles.json",
    options: [["--write", "record the new ones (never drops one: a retired role stays, disabled)"], ...DIR_OPTIONS],
    exits: [[1, "policy errors, or a roles test that names no exact value"]],
  },
  {
    path: ["keys", "rotate"],
    usage:
      "token-broker keys rotate --env <name> [--backend fluid|cosmos] [--subscription <id>] [--every <days>] [--wait] [dir]",
    summary:
      "rotate the Fluid Relay and Cosmos DB keys with zero downtime (two-key pattern); prints one audit record a step",
    options: [
      ["--env <name>", "the environment whose keys to rotate"],
      ["--backend fluid|cosmos", "only this resource (default: every one the environment mints credentials for)"],
      ["--subscription <id>", "the Azure subscription (default: AZURE_SUBSCRIPTION_ID)"],
      ["--every <days>", "schedule mode: start a rotation only when the last started this many days ago"],
      ["--wait", "stay until the rotation completes (in Azure: hours, the longest credential lifetime twice)"],
      ["[dir] | --policies <dir>", "the policy folder (default: the nearest policies/ from here upward)"],
    ],
    exits: [[1, "a step failed (named with its HTTP status); the next run resumes where it stopped"]],
  },
  {
    path: ["deploy-check"],
    usage: "token-broker deploy-check (--env <name> | --stack <id>) [--json]",
    summary: "offline checks of one environment's synthesized stack, and what only Azure can confirm",
    options: [
      ["--env <name> | --stack <id>", "the environment to synthesize and check"],
      ["--json", "machine-readable output"],
    ],
    exits: [[1, "a check failed"]],
  },
];

/** Exit codes every command shares. */
export const COMMON_EXITS: [number, string][] = [
  [0, "ok"],
  [2, "usage: an unknown command or option, a missing argument"],
  [70, "internal error (a bug: run again with --debug for the stack trace)"],
];
