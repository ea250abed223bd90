#!/usr/bin/env bash
# The GitHub Action's cache key: the runner and a hash of the action's own source, so a new
# action version builds once and every later run on the same kind of runner reuses it.
set -euo pipefail

cd "$GITHUB_ACTION_PATH"
hash="$(find Cargo.toml Cargo.lock src -type f -print0 | sort -z | xargs -0 sha256sum |
    sha256sum | cut -c1-16)"
{
    echo "hash=$hash"
    echo "key=lockstep-build-$RUNNER_OS-$RUNNER_ARCH-$hash"
} >>"$GITHUB_OUTPUT"
