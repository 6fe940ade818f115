#!/usr/bin/env bash
# Called by .github/workflows/policy-review.yml; runnable locally (BASE_SHA=main GITHUB_OUTPUT=out.txt bash ...).
# Writes review-comment.md and the job summary, and records the exit code as a step output instead of failing here:
# the comment must be posted whatever the verdict, and a later step fails the check.
set -uo pipefail
# TOKEN_BROKER lets a test run the CLI from another checkout; the workflow uses the repository's own.
read -r -a tb <<< "${TOKEN_BROKER:-npx token-broker}"
: "${BASE_SHA:?the base revision of the pull request}"
: "${GITHUB_OUTPUT:?where step outputs go}"
args=(policy review "$BASE_SHA" HEAD --out review-comment.md --full-diff review-full-diff.md --github-output "$GITHUB_OUTPUT")
if [ -n "${GITHUB_SERVER_URL:-}" ] && [ -n "${GITHUB_RUN_ID:-}" ]; then
  args+=(--details-url "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID")
fi
if [ -n "${REPLAY_LOG:-}" ]; then args+=(--replay-log "$REPLAY_LOG"); fi
"${tb[@]}" "${args[@]}"
code=$?
echo "exit-code=$code" >> "$GITHUB_OUTPUT"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f review-full-diff.md ]; then cat review-full-diff.md >> "$GITHUB_STEP_SUMMARY"; fi
# 0 unchanged/narrows, 1 checks failed, 3 widens: reported by later steps. Anything else (2 usage, a crash) fails now.
case "$code" in 0|1|3) exit 0 ;; *) exit "$code" ;; esac
