#!/usr/bin/env bash
# Packs the release archive of lockstep for one target, as the release workflow uploads it
# and the action's install step downloads it:
#
#   scripts/package.sh TARGET OUTDIR [BINARY]
#
# writes OUTDIR/lockstep-TARGET.tar.gz (.zip for Windows), holding the binary, the license
# files, README.md and CHANGELOG.md at its top level, and beside it
# lockstep-TARGET.tar.gz.sha256 in `sha256sum` format. BINARY defaults to what
# `cargo build --release --locked --target TARGET` writes. An existing archive is never
# replaced.
set -euo pipefail

log() { printf 'package: %s\n' "$*" >&2; }

[[ $# -ge 2 ]] || { log "usage: scripts/package.sh TARGET OUTDIR [BINARY]"; exit 2; }
target="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "$target" in
*windows*) exe=lockstep.exe ext=zip ;;
*) exe=lockstep ext=tar.gz ;;
esac
binary="${3:-$root/target/$target/release/$exe}"
if [[ ! -f "$binary" ]]; then
    log "$binary is missing: build it with cargo build --release --locked --target $target"
    exit 2
fi
mkdir -p "$2"
out_dir="$(cd "$2" && pwd)"
name="lockstep-$target.$ext"
for file in "$name" "$name.sha256"; do
    if [[ -e "$out_dir/$file" ]]; then
        log "$out_dir/$file already exists; not replacing it"
        exit 2
    fi
done

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/files"
cp "$binary" "$stage/files/$exe"
cp "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$root/README.md" "$root/CHANGELOG.md" \
    "$stage/files/"
contents=("$exe" LICENSE-MIT LICENSE-APACHE README.md CHANGELOG.md)
case "$ext" in
zip)
    if command -v zip >/dev/null 2>&1; then
        (cd "$stage/files" && zip -q -X "$stage/$name" "${contents[@]}")
    else
        # Windows runners have 7-Zip but no zip.
        (cd "$stage/files" && 7z a -tzip -bso0 "$stage/$name" "${contents[@]}")
    fi
    ;;
*) tar -czf "$stage/$name" -C "$stage/files" "${contents[@]}" ;;
esac
if command -v sha256sum >/dev/null 2>&1; then
    (cd "$stage" && sha256sum "$name" >"$name.sha256")
else
    (cd "$stage" && shasum -a 256 "$name" >"$name.sha256")
fi
# The archive lands only when complete; its checksum file last.
mv "$stage/$name" "$out_dir/$name"
mv "$stage/$name.sha256" "$out_dir/$name.sha256"
log "wrote $out_dir/$name and $name.sha256"
