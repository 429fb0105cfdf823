#!/usr/bin/env bash
# Compares Keydesk with KeePassXC on this machine and writes BENCHMARKS.md: the same 10,000
# entries in both, the same Argon2id cost, list/show/reveal/unlock/add and the window shown,
# whole-process medians of alternating runs (scripts/compare_keepassxc.py does the work).
# ENTRIES and ROUNDS may be set in the environment. Installs what it needs from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=()
for package in keepassxc python3-pykeepass xvfb xdotool x11-utils; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# PROFILE picks the build measured (release unless set; quick is what scripts/run.sh builds).
cargo build --profile "${PROFILE:-release}" --locked --bin keydesk --example big_vault
# Debian's python3 (where python3-pykeepass is), not another one on PATH.
exec /usr/bin/python3 scripts/compare_keepassxc.py
