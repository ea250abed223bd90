#!/usr/bin/env bash
# The GitHub Action's first step: which released lockstep to download, as the step output
# `version`: the `version` input, else the action's own ref when it is a release tag
# (`uses: lockstep-sql/lockstep@v0.2.0`). Empty for a branch or commit (`@main`): the
# install step then builds the action's source with cargo.
set -euo pipefail

version="${INPUT_VERSION:-}"
if [[ -z "$version" && "${ACTION_REF:-}" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    version="$ACTION_REF"
fi
echo "version=${version#v}" >>"$GITHUB_OUTPUT"
