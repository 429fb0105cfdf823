#!/usr/bin/env bash
# Renders the app icon's PNG sizes from assets/icons/scalable/keydesk.svg (needs librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/../assets/icons"
command -v rsvg-convert >/dev/null || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo; $sudo apt-get install -y -qq librsvg2-bin; }
for size in 32 48 64 128 256 512; do
  mkdir -p "${size}x${size}"
  rsvg-convert -w "$size" -h "$size" scalable/keydesk.svg -o "${size}x${size}/keydesk.png"
done
