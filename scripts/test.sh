#!/usr/bin/env bash
# Runs the whole test suite: installs the database servers the tests need when missing, then
# `cargo test --all-targets` with any extra arguments passed through.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

bash scripts/install-test-deps.sh
exec cargo test --all-targets "$@"
