#!/usr/bin/env bash
# The GitHub Action's install step: puts a `lockstep` binary in LOCKSTEP_INSTALL_DIR and
# prints its path as the step output `bin`. With LOCKSTEP_VERSION set it downloads that
# release's archive for this runner and checks it against the release's SHA-256 file;
# otherwise, or when no archive fits this runner and the version was not asked for by
# name, it builds this checkout of the action with cargo (the action caches
# LOCKSTEP_INSTALL_DIR, so a cache hit skips the build).
set -euo pipefail

install_dir="$LOCKSTEP_INSTALL_DIR"
bin="$install_dir/bin/lockstep"
releases="${LOCKSTEP_RELEASES_URL:-https://github.com/lockstep-sql/lockstep/releases/download}"
log() { printf 'lockstep-action: %s\n' "$*" >&2; }

# The release archive for this runner (what scripts/package.sh names it), or nothing.
archive_name() {
    case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo lockstep-x86_64-unknown-linux-musl.tar.gz ;;
    Linux-aarch64 | Linux-arm64) echo lockstep-aarch64-unknown-linux-musl.tar.gz ;;
    Darwin-arm64) echo lockstep-aarch64-apple-darwin.tar.gz ;;
    Darwin-x86_64) echo lockstep-x86_64-apple-darwin.tar.gz ;;
    MINGW*-x86_64 | MSYS*-x86_64) echo lockstep-x86_64-pc-windows-msvc.zip ;;
    esac
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

# Downloads and checks release $1; returns 1 (nothing installed) when it cannot.
download() {
    local version="$1" name download_dir expected actual
    name="$(archive_name)"
    if [[ -z "$name" ]]; then
        log "no released binary for $(uname -s) $(uname -m)"
        return 1
    fi
    download_dir="$(mktemp -d)"
    log "downloading lockstep $version: $releases/v$version/$name"
    if ! curl --fail --silent --show-error --location --retry 3 \
        --output "$download_dir/$name" "$releases/v$version/$name" ||
        ! curl --fail --silent --show-error --location --retry 3 \
            --output "$download_dir/$name.sha256" "$releases/v$version/$name.sha256"; then
        log "could not download release v$version"
        return 1
    fi
    expected="$(cut -d' ' -f1 "$download_dir/$name.sha256")"
    actual="$(sha256_of "$download_dir/$name")"
    if [[ "$expected" != "$actual" ]]; then
        log "SHA-256 mismatch for $name: expected $expected, got $actual; not installed"
        exit 2
    fi
    mkdir -p "$install_dir/bin"
    case "$name" in
    *.zip) unzip -o -q "$download_dir/$name" lockstep.exe -d "$install_dir/bin" && bin="$bin.exe" ;;
    *) tar -xzf "$download_dir/$name" -C "$install_dir/bin" lockstep ;;
    esac
    log "verified SHA-256 $actual"
}

build() {
    if ! command -v cargo >/dev/null 2>&1; then
        log "cargo is not installed, so lockstep cannot be built from the action's source."
        log "Use a released version instead (the action at a release tag, such as @v0.2.0, or"
        log "the \`version\` input), or install Rust in an earlier step (rustup, or an action"
        log "that sets up a Rust toolchain)."
        exit 2
    fi
    log "building lockstep from $GITHUB_ACTION_PATH with cargo (a few minutes on a cold runner)"
    cargo install --locked --path "$GITHUB_ACTION_PATH" --root "$install_dir"
}

if [[ -n "${LOCKSTEP_VERSION:-}" ]]; then
    if ! download "${LOCKSTEP_VERSION#v}"; then
        if [[ -n "${LOCKSTEP_VERSION_REQUESTED:-}" ]]; then
            log "the \`version\` input asks for release ${LOCKSTEP_VERSION#v}: not building instead"
            exit 2
        fi
        build
    fi
elif [[ -x "$bin" ]]; then
    log "using the cached build in $install_dir"
else
    build
fi
"$bin" --version >&2
echo "bin=$bin" >>"$GITHUB_OUTPUT"
