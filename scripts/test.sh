#!/usr/bin/env bash
# Runs the whole test suite: installs the database servers the tests need when missing, then
# every test target (`cargo test --all-targets`). With arguments, they are passed through to
# that one `cargo test` run as they are.
#
# Without arguments, the pre-commit hook test runs beside the others: it spends its minutes
# in a cold cargo build of its own (its own target folder), while the database tests spend
# theirs waiting on servers, so on two cores the two overlap instead of adding up.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

bash scripts/install-test-deps.sh
if [ "$#" -gt 0 ]; then
    exec cargo test --all-targets "$@"
fi

beside=pre_commit
cargo test --all-targets --no-run
executable="$(cargo test --test "$beside" --no-run --message-format=json \
    | grep "\"name\":\"$beside\"" | grep -o '"executable":"[^"]*"' | cut -d'"' -f4)"
if [ ! -x "$executable" ]; then
    echo "test.sh: no test executable found for tests/$beside.rs" >&2
    exit 2
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# cargo runs a test binary from the package root; so does this.
"$executable" >"$log" 2>&1 &
beside_pid=$!

others=()
for file in tests/*.rs; do
    name="$(basename "$file" .rs)"
    [ "$name" = "$beside" ] || others+=(--test "$name")
done
status=0
cargo test --lib --bins --examples --benches "${others[@]}" || status=$?
beside_status=0
wait "$beside_pid" || beside_status=$?
echo "     Running tests/$beside.rs ($executable), beside the others"
cat "$log"
if [ "$beside_status" -ne 0 ]; then
    echo "test.sh: tests/$beside.rs failed (exit $beside_status)" >&2
fi
[ "$status" -eq 0 ] && [ "$beside_status" -eq 0 ]
