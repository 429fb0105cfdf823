#!/usr/bin/env bash
# Installs the built Debian package on this machine and checks the installed program (not the
# one in target/): its version line, and a command-line round trip on a temporary vault.
# Also validates the desktop file and the AppStream metainfo.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
deb=$(ls -t target/debian/keydesk_*.deb | head -n 1)
missing=()
command -v desktop-file-validate >/dev/null 2>&1 || missing+=(desktop-file-utils)
command -v appstreamcli >/dev/null 2>&1 || missing+=(appstream)
$sudo apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
desktop-file-validate packaging/linux/app.keydesk.Keydesk.desktop
appstreamcli validate --no-net packaging/linux/app.keydesk.Keydesk.metainfo.xml

echo "== installing $deb ($(du -k "$deb" | cut -f1) KiB)"
# --reinstall: an earlier build of the same version may be installed already.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --reinstall "./$deb" >/dev/null
installed=/usr/bin/keydesk
[ -x "$installed" ] || { echo "the package did not install /usr/bin/keydesk" >&2; exit 1; }
echo "== installed binary: $(du -k "$installed" | cut -f1) KiB"
for path in /usr/share/applications/app.keydesk.Keydesk.desktop /usr/share/metainfo/app.keydesk.Keydesk.metainfo.xml \
            /usr/share/icons/hicolor/256x256/apps/keydesk.png /usr/share/icons/hicolor/scalable/apps/keydesk.svg \
            /usr/lib/systemd/user/keydesk-due.service /usr/lib/systemd/user/keydesk-due.timer; do
  [ -f "$path" ] || { echo "the package lacks $path" >&2; exit 1; }
done
# The daily reminder's units are well-formed and name the installed program.
systemd-analyze verify /usr/lib/systemd/user/keydesk-due.service /usr/lib/systemd/user/keydesk-due.timer

version=$("$installed" --version)
echo "== $version"
commit=$(git rev-parse --short=12 HEAD)
case "$version" in
  *"$commit"*) ;;
  *) echo "keydesk --version does not name the commit $commit" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%s\n' "package-check-password" > "$work/pw" && chmod 600 "$work/pw"
kd() { "$installed" --vault "$work/vault" --password-file "$work/pw" "$@"; }
kd init --secret-store file
key=$(kd generate --label "Package check" 2>/dev/null)
case "$key" in kd_live_*) ;; *) echo "generate printed no key" >&2; exit 1 ;; esac
kd list --json > "$work/list.json"
grep -q '"label": "Package check"' "$work/list.json"
[ "$(kd reveal "Package check")" = "$key" ]
kd check
echo "== the installed package works: version, init, generate, list, reveal, check"
