#!/usr/bin/env bash
# The GitHub Action's lint step (action.yml runs it; tests/action.rs runs it the same way).
# Inputs arrive as INPUT_* environment variables, never spliced into this code. One lockstep
# run writes the JSON, markdown and annotation reports of the change (a pull request's or a
# push's files) and the SARIF, which covers every file (a second run when the change is
# narrower, see below). This prints the annotations (at most GitHub's 10 of each kind per
# step), appends the markdown report to $GITHUB_STEP_SUMMARY (shortened under GitHub's 1 MiB
# limit), sets the step outputs in $GITHUB_OUTPUT, and exits as lockstep does (0 clean,
# 1 findings at or above the fail level, 2 usage or input error). `fail-on` is passed only
# when set, so `fail_on` in lockstep.toml applies otherwise.
set -euo pipefail

lockstep="${LOCKSTEP_BIN:-lockstep}"
cd "${GITHUB_WORKSPACE:-.}"

log() { printf 'lockstep-action: %s\n' "$*" >&2; }

# GitHub shows 10 error and 10 warning annotations per step, and drops a step summary over
# 1 MiB: what goes beyond is left out here, with a line saying so.
annotations_per_kind=10
summary_limit=1000000

# Prints the first annotations of each kind, then one line counting those left out.
print_annotations() {
    awk -v cap="$annotations_per_kind" '
        match($0, /^::[a-z]+/) {
            kind = substr($0, 3, RLENGTH - 2)
            if (++seen[kind] <= cap) print; else left++
            next
        }
        { print }
        END {
            if (left) printf "lockstep-action: %d more findings not annotated (GitHub shows %d of each kind per step); the job summary and code scanning have them all\n", left, cap
        }' "$1"
}

# A string from the event payload by its keys (`pull_request base sha`), empty when absent.
event_value() {
    [[ -f "${GITHUB_EVENT_PATH:-}" ]] || return 0
    python3 -c 'import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2:]:
    value = value.get(key) if isinstance(value, dict) else None
print(value if isinstance(value, str) else "")' "$GITHUB_EVENT_PATH" "$@"
}

# What to compare with, from the event payload: a pull request's base commit, or on push the
# commit the branch pointed to before (so a merge to main reports what it brought, not the
# whole history). Empty when there is none (a new branch, another event): lint everything.
event_base_sha() {
    local sha
    case "${GITHUB_EVENT_NAME:-}" in
    pull_request | pull_request_target) sha="$(event_value pull_request base sha)" ;;
    push) sha="$(event_value before)" ;;
    *) return 0 ;;
    esac
    [[ "$sha" =~ ^0*$ ]] || echo "$sha"
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
if [[ -z "$since" ]]; then
    since="$(event_base_sha)"
    # A force push leaves `before` out of the history: then lint everything.
    if [[ -n "$since" && "${GITHUB_EVENT_NAME:-}" == push ]]; then
        fetch_history_for "$since"
        if ! git cat-file -e "$since^{commit}" 2>/dev/null; then
            log "the commit before this push ($since) is not in the history: linting every file"
            since=""
        fi
    fi
fi

args=()
read -r -d '' -a paths <<<"${INPUT_PATHS:-.}" || true
[[ ${#paths[@]} -gt 0 ]] || paths=(.)
[[ -z "${INPUT_DIALECT:-}" ]] || args+=(--dialect "$INPUT_DIALECT")
[[ -z "${INPUT_TARGET_VERSION:-}" ]] || args+=(--target-version "$INPUT_TARGET_VERSION")
[[ -z "${INPUT_CONFIG:-}" ]] || args+=(--config "$INPUT_CONFIG")
fail_on=()
[[ -z "${INPUT_FAIL_ON:-}" ]] || fail_on=(--fail-on "$INPUT_FAIL_ON")
scope=()
if [[ -n "$since" ]]; then
    fetch_history_for "$since"
    scope=(--since "$since")
fi
# The markdown report links files and lines to the reviewed commit: a pull request's head.
links=()
head_sha="$(event_value pull_request head sha)"
[[ -n "$head_sha" ]] || head_sha="${GITHUB_SHA:-}"
if [[ -n "${GITHUB_SERVER_URL:-}" && -n "${GITHUB_REPOSITORY:-}" && -n "$head_sha" ]]; then
    links=(--source-url "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$head_sha")
fi
sarif_file="${INPUT_SARIF_FILE:-lockstep.sarif}"
report_dir="${RUNNER_TEMP:-$(mktemp -d)}"
json_file="$report_dir/lockstep-report.json"
markdown_file="$report_dir/lockstep-report.md"
annotations_file="$report_dir/lockstep-annotations.txt"

# One run writes every report of the change and decides the exit status. Code scanning
# compares an upload with the last one of its category, so the SARIF always covers every
# file: one of the change's files alone would mark the base's other alerts fixed. When the
# change is narrower than everything, a second run writes it. The report files are the
# action's own: --force replaces those of an earlier run.
# Paths come last, after `--`: one that starts with `-` is still a path.
sarif_report=(--report "sarif=$sarif_file")
[[ ${#scope[@]} -eq 0 ]] || sarif_report=()
rm -f -- "$json_file" "$markdown_file" "$annotations_file"
status=0
"$lockstep" check "${args[@]}" "${fail_on[@]}" "${scope[@]}" "${links[@]}" --force \
    --format github --output "$annotations_file" \
    --report "json=$json_file" --report "markdown=$markdown_file" "${sarif_report[@]}" \
    -- "${paths[@]}" ||
    status=$?
if [[ $status -ne 0 && $status -ne 1 && ! -s "$json_file" ]]; then
    log "lockstep failed (exit $status) before writing a report"
    exit "$status"
fi
if [[ ${#scope[@]} -gt 0 ]]; then
    # Its exit status is the first run's to give; what matters here is that it wrote.
    rm -f -- "$sarif_file"
    "$lockstep" check "${args[@]}" --fail-on never --force \
        --format sarif --output "$sarif_file" -- "${paths[@]}" || true
    if [[ ! -s "$sarif_file" ]]; then
        log "the SARIF run over every file wrote nothing"
        exit 2
    fi
fi
if [[ "${INPUT_ANNOTATIONS:-true}" == true ]]; then
    print_annotations "$annotations_file"
fi
if [[ "${INPUT_SUMMARY:-true}" == true && -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    python3 "$(dirname "${BASH_SOURCE[0]}")/shorten.py" "$summary_limit" "$markdown_file" \
        "GitHub's 1 MiB job summary limit" >>"$GITHUB_STEP_SUMMARY"
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
log "$findings findings ($errors errors, $warnings warnings): exit $status"
exit "$status"
