#!/usr/bin/env bash
# Builds and starts Keydesk on a Debian/Ubuntu machine, installing what is missing first
# (a C linker, the X11/OpenGL libraries the window loads at run time, fontconfig and the Noto
# fonts it finds labels' scripts in).
# Arguments go to keydesk (e.g. `scripts/run.sh list`). With none, the window opens.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
if command -v dpkg >/dev/null 2>&1; then
  for package in libxcursor1 libxi6 libxkbcommon-x11-0 libgl1 libegl1 libgl1-mesa-dri libfontconfig1 fonts-noto-core; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "keydesk: Rust is not installed: install it from rustup (Rust 1.95 or newer), then run this again." >&2
  exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Cargo's progress shows. The `quick` profile (Cargo.toml) optimises the program and the crates
# whose speed shows (the KDF, ciphers, the file parser), not the rest: a first build takes about
# three minutes on two cores instead of seven. The shipped package's build is scripts/package.sh's.
cargo build --profile quick --locked
exec "${CARGO_TARGET_DIR:-target}/quick/keydesk" "$@"
