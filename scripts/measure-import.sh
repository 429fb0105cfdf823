#!/usr/bin/env bash
# Measures an import of N keys (default 1,000) into the OS keychain against gnome-keyring's own
# cost per item, each in a fresh private D-Bus session with a fresh, unlocked gnome-keyring
# (so both start from an empty keyring, whose write cost grows with its size):
#   1. `secret-tool store` N times (the raw cost of one item, process start included),
#   2. `keydesk import` of a spreadsheet of N keys (one unlock, then one keychain write a key),
#   3. the same spreadsheet into the encrypted file store (Keydesk's own share).
# Usage: scripts/measure-import.sh [N]   (builds nothing: KEYDESK_BIN, else target/release/keydesk)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
bin=$(realpath "${KEYDESK_BIN:-target/release/keydesk}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A spreadsheet of N keys, half shaped like SendGrid's.
{
  echo "label;key;integrations;notes"
  for i in $(seq 1 "$n"); do
    if (( i % 2 )); then key=$(printf 'SG.%022d.%043d' "$i" "$((i * 7))"); else key="measure-import-value-$i"; fi
    echo "Key $i;$key;HubSpot=https://app.hubspot.com/$i;\"Row $i\""
  done
} >"$work/keys.csv"
printf '%s\n' "measure import password" >"$work/password"
chmod 600 "$work/password"

# Runs the shell code $2 in a fresh session named $1; prints what it prints.
in_session() {
  mkdir -p "$work/$1/data" "$work/$1/run"
  chmod 700 "$work/$1/run"
  env -u DISPLAY -u DBUS_SESSION_BUS_ADDRESS XDG_DATA_HOME="$work/$1/data" XDG_RUNTIME_DIR="$work/$1/run" \
    HOME="$work/$1" N="$n" BIN="$bin" WORK="$work" dbus-run-session -- bash -c "
      set -euo pipefail
      printf '%s' keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      sleep 0.5
      $2"
}


raw=$(in_session raw '
  start=$(date +%s.%N)
  for i in $(seq 1 "$N"); do
    printf "measure-raw-value-%s" "$i" | secret-tool store --label "raw $i" service keydesk-measure username "raw-$i"
  done
  echo "$(date +%s.%N) - $start" | bc')

keychain=$(in_session keychain '
  v="$WORK/keychain-vault"
  "$BIN" --vault "$v" --password-file "$WORK/password" init >/dev/null 2>&1
  start=$(date +%s.%N)
  "$BIN" --vault "$v" --password-file "$WORK/password" import "$WORK/keys.csv" --yes >/dev/null
  end=$(date +%s.%N)
  test "$("$BIN" --vault "$v" list --json | grep -c "\"label\"")" -eq "$N"
  echo "$end - $start" | bc')

file=$(in_session file '
  v="$WORK/file-vault"
  "$BIN" --vault "$v" --password-file "$WORK/password" init --secret-store file >/dev/null 2>&1
  start=$(date +%s.%N)
  "$BIN" --vault "$v" --password-file "$WORK/password" import "$WORK/keys.csv" --yes >/dev/null
  echo "$(date +%s.%N) - $start" | bc')

per() { echo "scale=2; $1 * 1000 / $n" | bc; }
echo "items: $n"
echo "secret-tool store, $n times:           ${raw} s ($(per "$raw") ms an item)"
echo "keydesk import into the keychain:      ${keychain} s ($(per "$keychain") ms a key, one unlock included)"
echo "keydesk import into the file store:    ${file} s (one unlock included)"
echo "keychain import / secret-tool:         $(echo "scale=2; $keychain / $raw" | bc)"
