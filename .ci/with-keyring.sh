#!/usr/bin/env bash
# Runs "$@" inside a private D-Bus session with an unlocked, throwaway gnome-keyring, so the
# keychain tests talk to a real Secret Service without touching anyone's login keyring.
# The command starts only once the keyring answers: a test item is written and deleted over the
# Secret Service (secret-tool, from libsecret-tools). A keyring that does not answer within
# PD_KEYRING_WAIT_SECONDS (default 30) is a failure with what it said, not a flaky test run; each
# probe call is bounded too (10 s), so a keyring that never answers cannot hang the run.
set -euo pipefail
for tool in dbus-run-session gnome-keyring-daemon secret-tool; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "with-keyring: $tool is missing; run: bash .ci/install.sh --test" >&2
    exit 1
  fi
done
XDG_DATA_HOME="$(mktemp -d)"
export XDG_DATA_HOME
# gnome-keyring-daemon has crashed mid-run here (a GLib trap, seen in dmesg: twice in seven
# fresh-clone runs). The session bus then started a new daemon by D-Bus activation, which came up
# locked and asked for a password no one could type, so every later keychain test failed with
# "unlock prompt was dismissed". This session's own service file starts it (and restarts it
# after a crash) unlocked, on the same keyring files.
mkdir -p "$XDG_DATA_HOME/dbus-1/services"
cat >"$XDG_DATA_HOME/restart-keyring.sh" <<'RESTART'
#!/bin/sh
printf "%s" "ci-keyring-password" | exec gnome-keyring-daemon --foreground --unlock --components=secrets
RESTART
chmod +x "$XDG_DATA_HOME/restart-keyring.sh"
printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=%s\n' "$XDG_DATA_HOME/restart-keyring.sh" \
  >"$XDG_DATA_HOME/dbus-1/services/org.freedesktop.secrets.service"
export PD_KEYRING_WAIT_SECONDS="${PD_KEYRING_WAIT_SECONDS:-30}"
exec dbus-run-session -- bash -c '
  set -euo pipefail
  # The daemon is started by the first call (D-Bus activation of the service file above), in the
  # foreground: the daemonized start crashed three times in a few minutes here, the activated one
  # ran through whole test stages.
  probe="ready-$$-$RANDOM"
  deadline=$((SECONDS + PD_KEYRING_WAIT_SECONDS))
  attempts=0
  while :; do
    attempts=$((attempts + 1))
    if said="$(printf "%s" "probe-secret" | timeout 10 secret-tool store --label="PartnerDesk CI keyring probe" \
          partnerdesk-ci "$probe" 2>&1)" \
        && said="$(timeout 10 secret-tool clear partnerdesk-ci "$probe" 2>&1)" \
        && ! timeout 10 secret-tool lookup partnerdesk-ci "$probe" >/dev/null 2>&1; then
      break
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "with-keyring: the gnome-keyring Secret Service did not answer a write and a delete within ${PD_KEYRING_WAIT_SECONDS}s ($attempts attempts); last answer: ${said:-none}" >&2
      exit 1
    fi
    sleep 0.2
  done
  if [ "$attempts" -gt 1 ]; then
    echo "with-keyring: the keyring answered after $attempts attempts" >&2
  fi
  exec "$@"' bash "$@"
