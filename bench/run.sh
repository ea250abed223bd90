#!/usr/bin/env bash
# The benchmark: release build, then the reproducible 2,000-file corpus timed several times in
# each shape (many folders, one folder, a pull request with --since), squawk beside it when found.
# Usage: bash bench/run.sh [--runs N] [--folders N] [--files-per-folder N] [--pr-files N]
#        [--shapes many,one,pr] [--squawk PATH | --no-squawk] [--keep DIR]  (see examples/bench.rs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --bin lockstep --example bench
exec target/release/examples/bench "$@"
