/** `policy review` as a function: both sides checked, head's tests run, the diff (and replay) rendered as a comment. */
import { formatDiagnostic } from "../authoring/errors";
import { compilePairs, environmentLabel, type LoadedSide } from "./compare";
import { diffPolicies, formatDiffMarkdown } from "./diff";
import { runPolicyTests } from "./policy-test";
import { replayText, type ReplayOptions } from "./replay";
import { renderReviewComment, type ReviewInput, type ReviewResult, type SideStatus } from "./review-comment";

const MAX_MESSAGES = 10;

export interface ReviewOptions {
  environment?: string;
  /** An audit export (JSON lines) to replay, with where it came from. */
  replay?: { text: string } & ReplayOptions;
  detailsUrl?: string;
  budget?: number;
}

export interface Review extends ReviewResult {
  input: ReviewInput;
  /** The whole diff as markdown (for the job summary, which has room for it). */
  fullDiff: string;
}

export function reviewPolicies(base: LoadedSide, head: LoadedSide, options: ReviewOptions = {}): Review {
  const input: ReviewInput = { base: status(base), head: status(head), detailsUrl: options.detailsUrl };
  let fullDiff = "";
  if (head.bundle) {
    const report = runPolicyTests(head.bundle);
    // One line per failure: the job log and `policy test` have the full expected/got.
    const failures = report.results
      .filter((r) => !r.passed)
      .map((r) => `[${r.environment}] ${r.name} (${r.file}:${r.line}): ${firstLine(r.problems)}`);
    failures.push(...report.diagnostics.map(formatDiagnostic));
    input.tests = {
      passed: report.passed,
      failed: failures.length,
      failures: failures.slice(0, MAX_MESSAGES),
      missing: head.bundle.files.testFiles.length === 0,
    };
  }
  if (base.bundle && head.bundle) {
    const pairs = compilePairs(base.bundle, head.bundle, options.environment);
    input.diff = diffPolicies(new Map([...pairs].map(([k, v]) => [k, { base: v.base, head: v.head }])));
    input.environmentLabels = Object.fromEntries([...pairs].map(([k, v]) => [k, environmentLabel(k, v.ephemeral)]));
    fullDiff = formatDiffMarkdown(input.diff, base.label, head.label);
    if (options.replay) input.replay = replayText(options.replay.text, base.bundle, head.bundle, options.replay);
  }
  return { ...renderReviewComment(input, options.budget), input, fullDiff };
}

function status(side: LoadedSide): SideStatus {
  return {
    label: side.label,
    errors: side.errors,
    messages: side.diagnostics
      .filter((d) => d.severity === "error")
      .slice(0, MAX_MESSAGES)
      .map(formatDiagnostic),
  };
}

function firstLine(problems: string[]): string {
  const line = (problems[0] ?? "").split("\n")[0];
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
