#!/usr/bin/env bash
# The GitHub Action's `comment: true` step: posts the markdown report as one pull-request
# comment, found again by a marker on a comment the same token wrote and updated in place on
# later runs, shortened at a file boundary to fit GitHub's limit on comment size. Needs
# GH_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_NAME, GITHUB_EVENT_PATH and LOCKSTEP_MARKDOWN
# (the report file the lint step wrote).
#
# The comment is a courtesy: it never fails the job. A `pull_request` from a fork gets a
# read-only token, so it is skipped with a notice; any API error is a warning.
set -euo pipefail

marker='<!-- lockstep-report -->'
# GitHub rejects comment bodies over 65536 characters; leave room for the marker.
limit=65000

log() { printf 'lockstep-action: %s\n' "$*" >&2; }
warn() {
    printf '::warning title=lockstep comment::%s\n' "$*"
    exit 0
}

# "<number> <head repository> <base repository>" of the pull request, `-` for each missing.
read -r pr head_repo base_repo < <(python3 -c 'import json, sys
pr = json.load(open(sys.argv[1])).get("pull_request") or {}
repo = lambda side: ((pr.get(side) or {}).get("repo") or {}).get("full_name") or "-"
print(pr.get("number") or "-", repo("head"), repo("base"))' "${GITHUB_EVENT_PATH:-/dev/null}" 2>/dev/null ||
    echo "- - -") || true
if [[ "${pr:--}" == - ]]; then
    log "not a pull request event: no comment posted"
    exit 0
fi
if [[ "${GITHUB_EVENT_NAME:-}" == pull_request && "$head_repo" != "$base_repo" ]]; then
    printf '::notice title=lockstep comment::%s\n' "pull request from a fork ($head_repo): its token cannot comment, so the report is in the job summary only."
    exit 0
fi

body="$marker"$'\n'"$(python3 "$(dirname "${BASH_SOURCE[0]}")/shorten.py" "$limit" \
    "$LOCKSTEP_MARKDOWN" "a pull-request comment")"

# Only a comment this token wrote is ours to update: anyone can paste the marker. A
# GITHUB_TOKEN cannot read /user; its comments are github-actions[bot]'s.
login="$(gh api user --jq .login 2>/dev/null || true)"
[[ -n "$login" ]] || login='github-actions[bot]'
if [[ ! "$login" =~ ^[A-Za-z0-9-]+(\[bot\])?$ ]]; then
    warn "unexpected login for the token: no comment posted"
fi
existing="$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
    --jq ".[] | select(.user.login == \"$login\" and (.body | startswith(\"$marker\"))) | .id")" ||
    warn "could not list the pull request's comments (does the workflow grant pull-requests: write?)"
existing="$(head -n 1 <<<"$existing")"
if [[ -n "$existing" ]]; then
    gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" \
        -f body="$body" >/dev/null || warn "could not update comment $existing"
    log "updated comment $existing on pull request $pr"
else
    gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
        -f body="$body" >/dev/null || warn "could not comment on pull request $pr"
    log "commented on pull request $pr"
fi
