#!/usr/bin/env bash
# The GitHub Action's install step: puts a `lockstep` binary in LOCKSTEP_INSTALL_DIR and
# prints its path as the step output `bin`. With LOCKSTEP_VERSION set it downloads that
# released binary; otherwise it builds this checkout of the action with cargo (the action
# caches LOCKSTEP_INSTALL_DIR, so a cache hit skips the build).
set -euo pipefail

install_dir="$LOCKSTEP_INSTALL_DIR"
bin="$install_dir/bin/lockstep"
log() { printf 'lockstep-action: %s\n' "$*" >&2; }

if [[ -n "${LOCKSTEP_VERSION:-}" ]]; then
    version="${LOCKSTEP_VERSION#v}"
    case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
    Linux-aarch64) target=aarch64-unknown-linux-gnu ;;
    Darwin-arm64) target=aarch64-apple-darwin ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    *)
        log "no released binary for $(uname -s) $(uname -m); leave \`version\` empty to build"
        exit 2
        ;;
    esac
    url="https://github.com/lockstep-sql/lockstep/releases/download/v$version/lockstep-$target.tar.gz"
    log "downloading lockstep $version ($target)"
    mkdir -p "$install_dir/bin"
    curl --fail --silent --show-error --location "$url" | tar -xz -C "$install_dir/bin" lockstep
elif [[ -x "$bin" ]]; then
    log "using the cached build in $install_dir"
else
    log "building lockstep from $GITHUB_ACTION_PATH"
    cargo install --locked --quiet --path "$GITHUB_ACTION_PATH" --root "$install_dir"
fi
"$bin" --version >&2
echo "bin=$bin" >>"$GITHUB_OUTPUT"
