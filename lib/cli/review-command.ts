/**
 * `token-broker policy review <base> <head>`: check both sides, run head's policy tests, diff, optionally replay an
 * audit export, and write the pull-request comment. What the workflow does with it (README "Reviewing a policy
 * change"): post or update the one comment carrying REVIEW_MARKER, fail the check or add a label on widening.
 *
 * Exit codes: 0 nothing widens and every check passes; 1 a side has errors or a policy test fails (this wins over 3,
 * and `widens=` still says whether access widens); 3 access widens.
 * `--github-output <file>` appends `verdict=`, `widens=`, `checks-passed=` lines (GitHub's $GITHUB_OUTPUT format).
 */
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadSide } from "../policy/review/compare";
import { ReplayError } from "../policy/review/replay";
import { reviewPolicies } from "../policy/review/review";

type Print = (s: string) => void;

export class ReviewUsageError extends Error {}

export function reviewCommand(argv: string[], out: Print): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        env: { type: "string" },
        "replay-log": { type: "string" },
        "replay-env": { type: "string" },
        "hash-key-file": { type: "string" },
        out: { type: "string" },
        "full-diff": { type: "string" },
        "github-output": { type: "string" },
        "details-url": { type: "string" },
        json: { type: "boolean" },
      },
    });
  } catch (e) {
    throw new ReviewUsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 2)
    throw new ReviewUsageError("policy review needs <base> <head> (directories or git revisions)");
  const base = loadSide(positionals[0]);
  const head = loadSide(positionals[1]);
  const log = values["replay-log"];
  const hashKey = values["hash-key-file"] ? readFileSync(values["hash-key-file"]) : undefined;
  let result;
  try {
    result = reviewPolicies(base, head, {
      environment: values.env,
      detailsUrl: values["details-url"],
      replay: log
        ? { text: readFileSync(log, "utf8"), source: log, environment: values["replay-env"], hashKey }
        : undefined,
    });
  } catch (e) {
    if (e instanceof ReplayError) throw new ReviewUsageError(e.message);
    throw e;
  }
  const fullDiff = result.fullDiff;
  if (values.out) writeFileSync(values.out, result.markdown);
  if (values["full-diff"]) writeFileSync(values["full-diff"], `${fullDiff || result.markdown}\n`);
  if (values["github-output"]) {
    appendFileSync(
      values["github-output"],
      `verdict=${result.verdict}\nwidens=${result.verdict === "widens"}\nchecks-passed=${result.checksPassed}\n`,
    );
  }
  if (values.json)
    out(
      JSON.stringify(
        {
          verdict: result.verdict,
          checksPassed: result.checksPassed,
          diff: result.input.diff,
          replay: result.input.replay,
        },
        null,
        2,
      ),
    );
  else if (!values.out) out(result.markdown.trimEnd());
  else out(`${result.verdict}${result.checksPassed ? "" : " (checks failed)"}: wrote ${values.out}`);
  if (!result.checksPassed) return 1;
  return result.verdict === "widens" ? 3 : 0;
}
