#!/usr/bin/env bash
# Measures `keydesk import` of N keys (default 10,000) from a file of each layout it reads
# (scripts/import-files.py writes them) into a new vault whose secrets are in its encrypted
# file (`init --secret-store file`), with the default Argon2id cost: the time of the whole
# process, the master password's key derivation (the unlock) included, and its peak memory.
# Each import is checked: every key listed afterwards. Prints a Markdown table.
# Usage: scripts/measure-import-formats.sh [N]   (builds nothing: KEYDESK_BIN, else target/release/keydesk)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
bin=$(realpath "${KEYDESK_BIN:-target/release/keydesk}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 scripts/import-files.py "$work/files" "$n"
printf '%s\n' "measure import password" >"$work/password"
chmod 600 "$work/password"

echo "| file | layout | size | import (s) | peak RSS (MiB) |"
echo "|---|---|---:|---:|---:|"
for file in "$work"/files/*; do
  name=$(basename "$file")
  vault="$work/vault-$name"
  "$bin" --vault "$vault" --password-file "$work/password" init --secret-store file >/dev/null 2>&1
  format=$("$bin" --vault "$vault" --password-file "$work/password" import "$file" --dry-run --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')
  /usr/bin/time -f '%e %M' -o "$work/time" \
    "$bin" --vault "$vault" --password-file "$work/password" import "$file" --yes >/dev/null
  read -r seconds kib <"$work/time"
  listed=$("$bin" --vault "$vault" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  if [ "$listed" -ne "$n" ]; then
    echo "$name: $listed keys listed after the import, not $n" >&2
    exit 1
  fi
  printf '| %s | %s | %s KB | %s | %s |\n' "$name" "$format" "$(( $(stat -c %s "$file") / 1000 ))" "$seconds" "$(( kib / 1024 ))"
done
