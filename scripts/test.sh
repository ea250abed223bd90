#!/usr/bin/env bash
# Runs the whole test suite: installs the database servers the tests need when missing, builds
# every test target (`cargo test --all-targets --no-run`), then runs the test binaries. With
# arguments, they are passed through to one `cargo test --all-targets` run as they are.
#
# Without arguments the test binaries run several at a time (LOCKSTEP_TEST_JOBS, default 3),
# the slowest first: most of a database test's time is spent waiting on its servers, and the
# pre-commit test spends its minutes in a cargo build of its own, so one binary at a time
# leaves the cores idle. Each binary's output is printed whole when it ends.
# LOCKSTEP_TEST_BESIDE, when set, is a shell command run in the same pool (CI's clippy).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

bash scripts/install-test-deps.sh
if [ "$#" -gt 0 ]; then
    exec cargo test --all-targets "$@"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One line per test binary: its source file (as cargo names it when running it) and path.
cargo test --all-targets --no-run --message-format=json-render-diagnostics >"$work/artifacts"
# A test build has `"profile":{..."test":true}`; the binary the tests run has `false` there.
grep '"executable":"/' "$work/artifacts" | grep '"profile":{[^}]*"test":true' | while IFS= read -r line; do
    source="$(grep -o '"src_path":"[^"]*"' <<<"$line" | cut -d'"' -f4)"
    executable="$(grep -o '"executable":"[^"]*"' <<<"$line" | cut -d'"' -f4)"
    printf '%s\t%s\n' "${source#"$repo_root"/}" "$executable"
done | sort >"$work/targets"
if [ ! -s "$work/targets" ]; then
    echo "test.sh: cargo reported no test binaries" >&2
    exit 2
fi

# Longest first (measured on two cores), so no long binary starts last; the rest follow in
# name order. A binary missing from this list still runs.
ranked=(tests/pre_commit.rs tests/db_plan_traffic.rs tests/db_plan_grid.rs
    tests/db_rule_claims.rs tests/db_mysql_plan_traffic.rs tests/mutation_fuzz.rs
    tests/db_stats.rs tests/db_postgres_versions.rs tests/db_help_sql.rs tests/action.rs)
if [ -n "${LOCKSTEP_TEST_BESIDE:-}" ]; then
    # A command to run in the pool too (CI's lint), after the slowest binaries have started;
    # `-` in place of a binary. It may use cargo: the build above holds no lock any more, and
    # no test binary runs cargo on this target folder.
    ranked+=("$LOCKSTEP_TEST_BESIDE")
    printf '%s\t-\n' "$LOCKSTEP_TEST_BESIDE" >>"$work/targets"
fi
awk -F'\t' 'NR == FNR { rank[$0] = NR; next }
    { print (($1 in rank) ? rank[$1] : 1000) "\t" $0 }' \
    <(printf '%s\n' "${ranked[@]}") "$work/targets" \
    | sort -t$'\t' -k1,1n -k2,2 | cut -f2- >"$work/order"

run_one() {
    local index="$1" source="$2" executable="$3"
    local started=$SECONDS status=0
    if [ "$executable" = - ]; then
        bash -c "$source" >"$work/$index.log" 2>&1 || status=$?
    else
        # cargo runs a test binary from the package root; so does this.
        "$executable" >"$work/$index.log" 2>&1 || status=$?
    fi
    echo "$status" >"$work/$index.status"
    echo "test.sh: $source finished (exit $status) after $((SECONDS - started)) s"
}

jobs="${LOCKSTEP_TEST_JOBS:-3}"
running=0
index=0
while IFS=$'\t' read -r source executable; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    index=$((index + 1))
    run_one "$index" "$source" "$executable" &
    running=$((running + 1))
done <"$work/order"
wait

failed=()
index=0
while IFS=$'\t' read -r source executable; do
    index=$((index + 1))
    echo
    if [ "$executable" = - ]; then
        echo "     Running $source"
    else
        echo "     Running $source ($executable)"
    fi
    cat "$work/$index.log"
    [ "$(cat "$work/$index.status")" = 0 ] || failed+=("$source")
done <"$work/order"

if [ "${#failed[@]}" -gt 0 ]; then
    echo "test.sh: failed: ${failed[*]}" >&2
    exit 1
fi
echo "test.sh: all $index passed"
