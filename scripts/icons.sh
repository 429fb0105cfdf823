#!/usr/bin/env bash
# Renders the app icon from assets/icons/scalable/keydesk.svg: the PNG sizes (Linux, the
# window), keydesk.ico (Windows) and keydesk.icns (macOS).
set -euo pipefail
cd "$(dirname "$0")/../assets/icons"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
for pair in rsvg-convert:librsvg2-bin convert:imagemagick png2icns:icnsutils; do
  command -v "${pair%%:*}" >/dev/null || $sudo apt-get install -y -qq "${pair#*:}"
done
for size in 32 48 64 128 256 512; do
  mkdir -p "${size}x${size}"
  rsvg-convert -w "$size" -h "$size" scalable/keydesk.svg -o "${size}x${size}/keydesk.png"
done
convert 256x256/keydesk.png 128x128/keydesk.png 64x64/keydesk.png 48x48/keydesk.png 32x32/keydesk.png \
  ../../packaging/windows/keydesk.ico
png2icns ../../packaging/macos/keydesk.icns 512x512/keydesk.png 256x256/keydesk.png 128x128/keydesk.png 32x32/keydesk.png >/dev/null
