#!/usr/bin/env bash
# Measures the real window under Xvfb (software rendering): time to the first frame, unlock
# time with an empty and a 10,000-key vault, resident memory before and after unlocking, and
# the CPU time and frames of the 5 s after unlocking.
# Prints one line per measurement. Needs the packages scripts/screenshots.sh installs.
# PROFILE picks the cargo profile measured: release (the default), quick (what scripts/run.sh
# builds) or dist (the package's).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${PROFILE:-release}"
cargo build --profile "$profile" --locked --quiet --bin keydesk --example big_vault
target="${CARGO_TARGET_DIR:-target}/$profile"
bin="$target/keydesk"
work=$(mktemp -d)
display=":$((500 + RANDOM % 300))"
cleanup() { kill "${app:-}" "${xvfb:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/config"
mkdir -p "$HOME"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
export DISPLAY="$display"
sleep 1
password="measure-password-1"
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# User + system CPU time of a process, in ms (clock ticks from /proc/PID/stat).
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
for keys in 0 10000; do
  "$target/examples/big_vault" "$work/v$keys" "$keys" "$password" >/dev/null
  KEYDESK_TIMINGS=1 "$bin" --vault "$work/v$keys" 2>"$work/log$keys" &
  app=$!
  window=$(xdotool search --sync --name '^Keydesk' | head -n 1)
  sleep 2
  before=$(rss "$app")
  for _ in $(seq 1 20); do xdotool windowfocus --sync "$window" 2>/dev/null && break; sleep 0.2; done
  # At a person's pace (100 ms a character): the lock screen prepares the KDF's memory while
  # the password is typed, which 5 ms a character left no time for.
  xdotool type --window "$window" --delay 100 "$password"
  xdotool key --window "$window" Return
  for _ in $(seq 1 100); do grep -q "dashboard with" "$work/log$keys" && break; sleep 0.1; done
  cpu_start=$(cpu "$app")
  sleep 5
  cpu_end=$(cpu "$app")
  after=$(rss "$app")
  grep -v "after unlock at" "$work/log$keys" | sed 's/^/  /'
  frames=$(grep -c "after unlock at" "$work/log$keys" || true)
  echo "vault with $keys keys: RSS locked $((before / 1024)) MB, unlocked and idle $((after / 1024)) MB;" \
    "the 5 s after unlock: $((cpu_end - cpu_start)) ms CPU, $frames frames"
  kill "$app"; wait "$app" 2>/dev/null || true
done
