#!/usr/bin/env bash
# Runs "$@" inside a private D-Bus session with an unlocked, throwaway gnome-keyring, so the
# keychain tests talk to a real Secret Service without touching anyone's login keyring.
set -euo pipefail
XDG_DATA_HOME="$(mktemp -d)"
export XDG_DATA_HOME
exec dbus-run-session -- bash -c '
  printf "%s" "ci-keyring-password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' bash "$@"
