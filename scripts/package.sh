#!/usr/bin/env bash
# Builds the Debian package target/debian/keydesk_<version>-1_<arch>.deb (the `dist` profile:
# thin LTO across crates, stripped), installing cargo-deb first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo deb --version >/dev/null 2>&1 || cargo install --locked cargo-deb
cargo deb --locked --profile dist
ls -l target/debian/*.deb
