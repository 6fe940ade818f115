/**
 * `token-broker pr comment --pr <n> --body-file <f> [--marker <text>] [--author <login>]` and `token-broker pr label --pr <n> <name>
 * (--add | --remove)`: what the workflows do on the pull request. Reads GITHUB_TOKEN, GITHUB_REPOSITORY and
 * GITHUB_API_URL (set by GitHub Actions; the token is the job's own, scoped by the workflow's `permissions`).
 * `--author`: whose marked comment is edited (default github-actions[bot], the GITHUB_TOKEN's identity; a GitHub App
 * token comments as `<app-slug>[bot]`).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { REVIEW_MARKER } from "../policy/review/review-comment";
import { GitHubApiError, setLabel, upsertComment, type GitHubTarget } from "./github-pr";

type Print = (s: string) => void;

export async function runPrCommand(
  command: string,
  argv: string[],
  out: Print,
  err: Print,
  env = process.env,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        pr: { type: "string" },
        "body-file": { type: "string" },
        marker: { type: "string" },
        author: { type: "string" },
        add: { type: "boolean" },
        remove: { type: "boolean" },
      },
    });
  } catch (e) {
    err((e as Error).message);
    return 2;
  }
  const { values, positionals } = parsed;
  const issue = Number(values.pr);
  if (!Number.isInteger(issue) || issue < 1) return usage(err, "--pr <number> is required");
  if (!env.GITHUB_TOKEN || !env.GITHUB_REPOSITORY)
    return usage(err, "GITHUB_TOKEN and GITHUB_REPOSITORY must be set (GitHub Actions sets them)");
  const target: GitHubTarget = {
    apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
    token: env.GITHUB_TOKEN,
    repository: env.GITHUB_REPOSITORY,
    issue,
  };
  try {
    if (command === "comment") {
      if (!values["body-file"]) return usage(err, "pr comment needs --body-file <file>");
      const r = await upsertComment(
        target,
        values.marker ?? REVIEW_MARKER,
        readFileSync(values["body-file"], "utf8"),
        values.author,
      );
      out(`${r.action} comment ${r.id} on #${issue}`);
      return 0;
    }
    if (command === "label") {
      if (positionals.length !== 1 || values.add === values.remove)
        return usage(err, "pr label needs <name> and one of --add, --remove");
      await setLabel(target, positionals[0], values.add === true);
      out(`${values.add ? "added" : "removed"} label ${positionals[0]} on #${issue}`);
      return 0;
    }
  } catch (e) {
    if (e instanceof GitHubApiError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
  return usage(err, `unknown command 'pr ${command}'; try: comment, label`);
}

function usage(err: Print, message: string): number {
  err(message);
  return 2;
}
