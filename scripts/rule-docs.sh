#!/usr/bin/env bash
# Writes docs/rules/<id>.md, one page per rule, from `lockstep explain` (the rule's one
# declaration). Reports link to these pages; tests/rule_catalogue.rs fails when one is stale
# or missing, or a page has no rule.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --quiet
bin="${CARGO_TARGET_DIR:-target}/debug/lockstep"
ids="$("$bin" rules --format json |
    python3 -c 'import json, sys; print("\n".join(rule["id"] for rule in json.load(sys.stdin)))')"
mkdir -p docs/rules
for page in docs/rules/*.md; do
    [[ -e "$page" ]] || continue
    grep -qxF "$(basename "$page" .md)" <<<"$ids" || rm -- "$page"
done
while read -r id; do
    "$bin" explain "$id" >"docs/rules/$id.md"
done <<<"$ids"
