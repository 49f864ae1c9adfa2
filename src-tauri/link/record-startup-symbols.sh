#!/usr/bin/env bash
# Records which functions of the app's own binary run while it starts over a 100,000-case cache
# and shows its first list, and writes them to startup-symbols.txt beside this script: the order
# file release builds link with (src-tauri/build.rs), so that code sits together and the kernel's
# 64 KB fault-around maps little else. Run it again when start-up changes much; symbols that
# have gone are skipped by the linker, new ones are simply laid out as before.
#
#   bash src-tauri/link/record-startup-symbols.sh APP SANDBOX DATA [SETTLE_SECONDS]
#
# APP: a release build of the app (`cargo bench -p partnerdesk --bench app_start --no-run`
# builds one in target/release/partnerdesk), built *without* an order file
# (PARTNERDESK_SYMBOL_ORDER=0) or with this one: the names are the same either way.
# SANDBOX: a release build of partnerdesk-sandbox. DATA: the folder app_start filled
# (`--data DATA`: its sandbox.db and app/). Needs valgrind (callgrind), xvfb-run and
# callgrind_control. The app runs under callgrind until it has been idle for SETTLE seconds of
# CPU-quiet (default 20), then the counts are dumped and the app is stopped.
set -euo pipefail

app=$(realpath "${1:?usage: record-startup-symbols.sh APP SANDBOX DATA [SETTLE_SECONDS]}")
sandbox=$(realpath "${2:?the partnerdesk-sandbox binary}")
data=$(realpath "${3:?the app_start data folder}")
settle=${4:-20}
out="$(cd "$(dirname "$0")" && pwd)/startup-symbols.txt"
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

"$sandbox" --listen 127.0.0.1:0 --data "$data/sandbox.db" --cases 100000 \
    --comments-per-case 5 >"$work/sandbox.out" 2>"$work/sandbox.err" &
pids+=($!)
for _ in $(seq 600); do
    grep -q '^listening on ' "$work/sandbox.out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/sandbox.out" | head -n1)
[ -n "$url" ] || { echo "the sandbox did not start:" >&2; cat "$work/sandbox.err" >&2; exit 1; }

PARTNERDESK_DATA_DIR="$data/app" PARTNERDESK_SERVER_URL="$url" \
    xvfb-run -a -s "-screen 0 1280x800x24" \
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.%p" \
    --compress-strings=no --compress-pos=no --demangle=no \
    "$app" >"$work/app.log" 2>&1 &
pids+=($!)

# The app process is the one valgrind runs; it is idle once its CPU time stops growing.
vg=""
for _ in $(seq 600); do
    vg=$(pgrep -f "callgrind-out-file=$work" | while read -r p; do
        case "$(cat /proc/"$p"/comm 2>/dev/null)" in callgrind*) echo "$p" ;; esac
    done | head -n1)
    [ -n "$vg" ] && break
    sleep 0.1
done
[ -n "$vg" ] || { echo "the app did not start under valgrind" >&2; exit 1; }
ticks() { awk '{print $14 + $15}' "/proc/$vg/stat"; }
quiet=0
last=$(ticks)
while [ "$quiet" -lt "$settle" ]; do
    sleep 1
    now=$(ticks)
    # Under 5 % of a core for a second counts as quiet (clock ticks are 1/100 s).
    if [ $((now - last)) -le 5 ]; then quiet=$((quiet + 1)); else quiet=0; fi
    last=$now
done
callgrind_control -d "$vg" >/dev/null
sleep 2
kill "$vg" 2>/dev/null || true

# Every function of the app binary with a cost block in any dump, in the order first seen;
# recursion levels (name'2) are one symbol.
awk -v bin="$app" '
    /^ob=/ { ob = substr($0, 4) }
    /^fn=/ {
        if (ob != bin) next
        name = substr($0, 4)
        sub(/'"'"'[0-9]+$/, "", name)
        # Addresses without a symbol and callgrind'"'"'s own entries ("(below main)") are not symbols.
        if (name ~ /^0x[0-9a-f]+$/ || name ~ /[ ()]/ || (name in seen)) next
        seen[name] = 1
        print name
    }' "$work"/callgrind.* >"$out"
echo "$(wc -l <"$out") symbols written to $out"
