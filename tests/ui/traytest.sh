#!/usr/bin/env bash
# Runs the tray test ($1) in a private Xvfb display with trayer as the system tray. No fixed waits: the test itself
# waits (bounded) until the tray is there.
set -euo pipefail
test_binary="$1"
command -v xvfb-run >/dev/null && command -v trayer >/dev/null || { echo "traytest: needs xvfb-run and trayer"; exit 1; }
exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" bash -c '
    trayer --edge top --align right --widthtype request --height 32 --SetDockType true 2>/dev/null &
    tray=$!
    status=0
    "$1" -platform xcb || status=$?
    kill "$tray" 2>/dev/null || true
    exit "$status"' traytest "$test_binary"
