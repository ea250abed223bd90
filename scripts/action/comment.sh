#!/usr/bin/env bash
# The GitHub Action's `comment: true` step: posts the markdown report as one pull-request
# comment, found again by a marker on a comment the same token wrote and updated in place on
# later runs, shortened to fit
# GitHub's limit on comment size. Needs GH_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH and
# LOCKSTEP_MARKDOWN (the report file the lint step wrote).
set -euo pipefail

marker='<!-- lockstep-report -->'
# GitHub rejects comment bodies over 65536 characters; leave room for the marker and note.
limit=65000

log() { printf 'lockstep-action: %s\n' "$*" >&2; }

pr="$(python3 -c 'import json, sys
event = json.load(open(sys.argv[1]))
print((event.get("pull_request") or {}).get("number") or "")' "${GITHUB_EVENT_PATH:-/dev/null}" 2>/dev/null || true)"
if [[ -z "$pr" ]]; then
    log "not a pull request event: no comment posted"
    exit 0
fi

body="$(cat "$LOCKSTEP_MARKDOWN")"
if [[ ${#body} -gt $limit ]]; then
    body="${body:0:$limit}"$'\n\n'"_Report shortened to fit a comment: the job summary and the code scanning alerts have all of it._"
fi
body="$marker"$'\n'"$body"

# Only a comment this token wrote is ours to update: anyone can paste the marker. A
# GITHUB_TOKEN cannot read /user; its comments are github-actions[bot]'s.
login="$(gh api user --jq .login 2>/dev/null || true)"
[[ -n "$login" ]] || login='github-actions[bot]'
if [[ ! "$login" =~ ^[A-Za-z0-9-]+(\[bot\])?$ ]]; then
    log "unexpected login for the token: no comment posted"
    exit 0
fi
existing="$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
    --jq ".[] | select(.user.login == \"$login\" and (.body | startswith(\"$marker\"))) | .id" |
    head -n 1)"
if [[ -n "$existing" ]]; then
    gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" \
        -f body="$body" >/dev/null
    log "updated comment $existing on pull request $pr"
else
    gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
        -f body="$body" >/dev/null
    log "commented on pull request $pr"
fi
