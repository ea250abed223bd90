#!/usr/bin/env bash
# The benchmark: release build, then the reproducible 2,000-file corpus timed several times.
# Usage: bash bench/run.sh [--runs N] [--folders N] [--files-per-folder N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --bin lockstep --example bench
exec target/release/examples/bench "$@"
