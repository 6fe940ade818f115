#!/usr/bin/env bash
# Called by .github/workflows/policy-review.yml in two steps; runnable locally (GITHUB_OUTPUT=out.txt bash ...).
#   policy-review.sh          review: writes review-comment.md, the job summary and the step outputs verdict,
#                             widens, checks-passed, exit-code. It never fails on a verdict: the comment must be
#                             posted whatever the verdict is, and the `verdict` step fails the check.
#   policy-review.sh verdict  the check itself, from VERDICT and EXIT_CODE (the review step's outputs); it runs
#                             always, also on fork pull requests, where the comment and label steps are skipped.
# Verdicts: exit 0 unchanged/narrows, 1 checks or tests failed, 3 access widens. Anything else, or an exit without
# a written verdict (node dies with 1 on an uncaught error), is a crash and is reported as one, never as "checks
# failed".
set -uo pipefail

if [ "${1:-}" = verdict ]; then
  case "${VERDICT:-}:${EXIT_CODE:-}" in
    crashed:*) echo "::error title=policy review::the review crashed (exit ${EXIT_CODE}) and gave no verdict; see the review step's log" ;;
    :*) echo "::error title=policy review::the review did not run; see the earlier steps" ;;
    *:0) echo "policy review: ${VERDICT}"; exit 0 ;;
    *:1) echo "::error title=policy review::the policy fails its checks or tests (verdict ${VERDICT})" ;;
    *:3) echo "::error title=policy review::access widens: this change needs a second reviewer" ;;
    *) echo "::error title=policy review::unexpected review result: verdict ${VERDICT}, exit code ${EXIT_CODE}" ;;
  esac
  exit 1
fi

# TOKEN_BROKER lets a test run the CLI from another checkout; the workflow uses the repository's own.
read -r -a tb <<< "${TOKEN_BROKER:-npx token-broker}"
: "${GITHUB_OUTPUT:?where step outputs go}"
# The base: the first parent of the merge commit a pull_request run checks out (refs/pull/<n>/merge), so the diff is
# exactly what merging would change. github.event.pull_request.base.sha can lag behind the base branch.
base="${BASE_SHA:-}"
if [ -z "$base" ]; then
  base=$(git rev-parse --verify --quiet 'HEAD^1^{commit}') || {
    echo "::error title=policy review::HEAD has no parent to review against; set BASE_SHA"
    base="HEAD^1"
  }
  [ -n "$(git rev-parse --verify --quiet 'HEAD^2^{commit}')" ] ||
    echo "::warning title=policy review::HEAD is not a merge commit; reviewing against its parent $base"
fi
verdicts=$(mktemp)
trap 'rm -f "$verdicts"' EXIT
args=(policy review "$base" HEAD --out review-comment.md --full-diff review-full-diff.md --github-output "$verdicts")
if [ -n "${GITHUB_SERVER_URL:-}" ] && [ -n "${GITHUB_RUN_ID:-}" ]; then
  run_url="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"
  args+=(--details-url "$run_url")
fi
if [ -n "${REPLAY_LOG:-}" ]; then args+=(--replay-log "$REPLAY_LOG"); fi
"${tb[@]}" "${args[@]}"
code=$?
case "$code" in
  0 | 1 | 3) grep -q '^verdict=' "$verdicts" && crashed=false || crashed=true ;;
  *) crashed=true ;;
esac
if [ "$crashed" = true ]; then
  # Replaces any comment of an earlier run, so no stale verdict stays on the pull request.
  printf '%s\n## ⚠️ Access policy review crashed (exit %s): no verdict\n\nThe review did not finish; see %s.\n' \
    '<!-- token-broker:policy-review -->' "$code" "${run_url:-the job log}" > review-comment.md
  printf 'verdict=crashed\nwidens=false\nchecks-passed=false\n' >> "$GITHUB_OUTPUT"
else
  cat "$verdicts" >> "$GITHUB_OUTPUT"
fi
echo "exit-code=$code" >> "$GITHUB_OUTPUT"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f review-full-diff.md ]; then cat review-full-diff.md >> "$GITHUB_STEP_SUMMARY"; fi
exit 0
