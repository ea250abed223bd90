#!/usr/bin/env bash
# The GitHub Action's lint step (action.yml runs it; tests/action.rs runs it the same way).
# Inputs arrive as INPUT_* environment variables, never spliced into this code. It writes
# the SARIF file, prints workflow-command annotations, appends the markdown report to
# $GITHUB_STEP_SUMMARY, sets the step outputs in $GITHUB_OUTPUT, and exits as lockstep does
# under `--fail-on` (0 clean, 1 findings at or above it, 2 usage or input error).
set -euo pipefail

lockstep="${LOCKSTEP_BIN:-lockstep}"
cd "${GITHUB_WORKSPACE:-.}"

log() { printf 'lockstep-action: %s\n' "$*" >&2; }

# The pull request's base commit from the event payload; empty on push (lint everything).
event_base_sha() {
    case "${GITHUB_EVENT_NAME:-}" in
    pull_request | pull_request_target) ;;
    *) return 0 ;;
    esac
    [[ -f "${GITHUB_EVENT_PATH:-}" ]] || return 0
    python3 -c 'import json, sys
event = json.load(open(sys.argv[1]))
print(((event.get("pull_request") or {}).get("base") or {}).get("sha") or "")' "$GITHUB_EVENT_PATH"
}

# actions/checkout fetches one commit by default: fetch the base and enough history for a
# merge base. Failure is left to lockstep, whose message says what to fetch.
fetch_history_for() {
    local rev="$1"
    [[ "$(git rev-parse --is-shallow-repository 2>/dev/null)" == true ]] || return 0
    git remote get-url origin >/dev/null 2>&1 || return 0
    log "shallow clone: fetching $rev and recent history for the merge base"
    git fetch --no-tags --quiet --depth=100 --end-of-options origin "$rev" "$(git rev-parse HEAD)" ||
        true
}

since="${INPUT_SINCE:-}"
[[ -n "$since" ]] || since="$(event_base_sha)"

args=()
read -r -d '' -a paths <<<"${INPUT_PATHS:-.}" || true
[[ ${#paths[@]} -gt 0 ]] || paths=(.)
[[ -z "${INPUT_DIALECT:-}" ]] || args+=(--dialect "$INPUT_DIALECT")
[[ -z "${INPUT_TARGET_VERSION:-}" ]] || args+=(--target-version "$INPUT_TARGET_VERSION")
[[ -z "${INPUT_CONFIG:-}" ]] || args+=(--config "$INPUT_CONFIG")
if [[ -n "$since" ]]; then
    fetch_history_for "$since"
    args+=(--since "$since")
fi
fail_on="${INPUT_FAIL_ON:-error}"
sarif_file="${INPUT_SARIF_FILE:-lockstep.sarif}"
report_dir="${RUNNER_TEMP:-$(mktemp -d)}"
json_file="$report_dir/lockstep-report.json"
markdown_file="$report_dir/lockstep-report.md"

# One run decides the exit status; the others render the same findings as other formats.
# The report files are the action's own: --force replaces those of an earlier run.
status=0
"$lockstep" check "${paths[@]}" "${args[@]}" --fail-on "$fail_on" \
    --format sarif --output "$sarif_file" --force || status=$?
if [[ $status -ne 0 && $status -ne 1 && ! -s "$sarif_file" ]]; then
    log "lockstep failed (exit $status) before writing a report"
    exit "$status"
fi
render() { "$lockstep" check "${paths[@]}" "${args[@]}" --fail-on never "$@" 2>/dev/null || true; }
render --format json --output "$json_file" --force
render --format markdown --output "$markdown_file" --force
if [[ "${INPUT_ANNOTATIONS:-true}" == true ]]; then
    render --format github
fi
if [[ "${INPUT_SUMMARY:-true}" == true && -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    cat "$markdown_file" >>"$GITHUB_STEP_SUMMARY"
fi

counts="$(python3 -c 'import json, sys
report = json.load(open(sys.argv[1]))
summary = report["summary"]
sarif = json.load(open(sys.argv[2]))
category = (sarif["runs"][0].get("automationDetails") or {}).get("id", "lockstep/")
print(len(report["findings"]), summary["errors"], summary["warnings"], category)' \
    "$json_file" "$sarif_file")"
read -r findings errors warnings category <<<"$counts"
{
    echo "findings=$findings"
    echo "errors=$errors"
    echo "warnings=$warnings"
    echo "sarif-file=$sarif_file"
    echo "category=$category"
    echo "markdown-file=$markdown_file"
} >>"${GITHUB_OUTPUT:-/dev/null}"
log "$findings findings ($errors errors, $warnings warnings); fail-on $fail_on: exit $status"
exit "$status"
