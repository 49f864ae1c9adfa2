#!/usr/bin/env bash
# Installs what PartnerDesk needs on a fresh Debian/Ubuntu machine.
#   bash .ci/install.sh          what building and running need (.ci/start calls this)
#   bash .ci/install.sh --test   the same, plus what the tests need: the end-to-end driver, the
#                                test keyring, sshd, s3s-fs, ImageMagick, PostgreSQL (.ci/test
#                                calls this)
# Idempotent: every step checks first and does nothing when its part is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
case "${1:-}" in
  "") ;;
  --test) with_tests=1 ;;
  *)
    echo "usage: bash .ci/install.sh [--test]" >&2
    exit 2
    ;;
esac

TOOLS_ROOT="${PARTNERDESK_TOOLS:-$HOME/.cache/partnerdesk/tools}"
# Building (WebKitGTK, OpenSSL, D-Bus for the keychain) and running, headless too (xvfb-run).
# libegl-dev: the app links libEGL for one call before its window (src-tauri/src/webkit.rs);
# WebKitGTK's own -dev package pulls it in too.
RUN_APT_PACKAGES=(
  build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libdbus-1-dev libegl-dev
  dbus xvfb xauth
  libayatana-appindicator3-1
)
# The tests: WebKitWebDriver for the end-to-end journeys, screenshots, a private gnome-keyring
# Secret Service (with secret-tool, from libsecret-tools, with-keyring.sh waits until it answers),
# OpenSSH's sshd as the SFTP peer, PostgreSQL for partnerdesk-server's tests (the
# tests run initdb/pg_ctl themselves on a loopback port; no cluster of the package is used).
TEST_APT_PACKAGES=(
  webkit2gtk-driver imagemagick
  dbus-x11 gnome-keyring libsecret-tools openssh-server
  postgresql
  python3-dbus python3-gi
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

if [ "$with_tests" -eq 1 ]; then
  apt_install_missing "${RUN_APT_PACKAGES[@]}" "${TEST_APT_PACKAGES[@]}"
else
  apt_install_missing "${RUN_APT_PACKAGES[@]}"
fi

# Node.js for the UI (the UI's toolchain wants Node 20 or newer).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install_missing nodejs npm
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  say "warning: Node.js $(node --version) found; the UI build wants 20 or newer"
fi

# Rust: at least the rust-version in Cargo.toml (what the locked dependencies need).
rust_needed="$(sed -n 's/^rust-version = "\([0-9.]*\)"$/\1/p' Cargo.toml | head -n 1)"
if ! command -v cargo >/dev/null 2>&1 || ! command -v rustc >/dev/null 2>&1; then
  say "error: cargo (Rust $rust_needed or newer) is required and was not found on PATH"
  exit 1
fi
rust_found="$(rustc --version | cut -d' ' -f2)"
if ! printf '%s\n%s\n' "$rust_needed" "${rust_found%%-*}" | sort -V -C; then
  say "error: Rust $rust_needed or newer is required (rustc $rust_found found; rustup update)"
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

if [ "$with_tests" -eq 1 ]; then
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
  # moto_server: an S3 server with Object Lock, retention and legal hold (retention export
  # tests), from PyPI in its own virtual environment; pd-s3test finds it there.
  if [ ! -x "$TOOLS_ROOT/moto/bin/moto_server" ]; then
    apt_install_missing python3-venv
    say "python venv: moto[server]==5.2.5 (S3 Object Lock test peer)"
    python3 -m venv "$TOOLS_ROOT/moto"
    "$TOOLS_ROOT/moto/bin/pip" install --quiet --disable-pip-version-check "moto[server]==5.2.5"
  fi
fi
say "done"
