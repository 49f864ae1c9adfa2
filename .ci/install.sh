#!/usr/bin/env bash
# Installs what PartnerDesk needs to build, run and test on a fresh Debian/Ubuntu machine.
# Idempotent: every step checks first and does nothing when its part is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_ROOT="${PARTNERDESK_TOOLS:-$HOME/.cache/partnerdesk/tools}"
APT_PACKAGES=(
  build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev
  xvfb xauth webkit2gtk-driver imagemagick
  dbus dbus-x11 gnome-keyring libsecret-tools openssh-server libdbus-1-dev
)

say() { printf '[install] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install_missing() {
  local missing=() package
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  say "apt: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

apt_install_missing "${APT_PACKAGES[@]}"

# Node.js for the UI (the UI's toolchain wants Node 20 or newer).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install_missing nodejs npm
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  say "warning: Node.js $(node --version) found; the UI build wants 20 or newer"
fi

if ! command -v cargo >/dev/null 2>&1; then
  say "error: cargo (Rust 1.85 or newer) is required and was not found on PATH"
  exit 1
fi

# UI dependencies: reinstall only when the lock file changed since the last install.
lock_hash="$(sha256sum ui/package-lock.json | cut -d' ' -f1)"
stamp="ui/node_modules/.partnerdesk-lock-hash"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  say "npm ci (ui)"
  npm --prefix ui ci --no-audit --no-fund --loglevel=error
  printf '%s' "$lock_hash" > "$stamp"
fi

# tauri-driver for the end-to-end test (WebKitWebDriver comes from webkit2gtk-driver).
if [ ! -x "$TOOLS_ROOT/bin/tauri-driver" ]; then
  say "cargo install tauri-driver@2.1.0"
  cargo install tauri-driver@2.1.0 --locked --root "$TOOLS_ROOT" --quiet
fi
# s3s-fs: a real S3-compatible server (checks signatures) for the connector tests.
if [ ! -x "$TOOLS_ROOT/bin/s3s-fs" ]; then
  say "cargo install s3s-fs@0.14.1 (S3 test peer)"
  cargo install s3s-fs@0.14.1 --features binary --locked --root "$TOOLS_ROOT" --quiet
fi
say "done"
