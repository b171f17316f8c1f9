#!/usr/bin/env bash
# Runs test_secrets with a real Secret Service: a private D-Bus session, GNOME Keyring unlocked in a throwaway home
# (nothing of the user's keyring is touched), TOLLGATE_TEST_KEYCHAIN=1 so that the keychain cases run and fail rather
# than skip when no keychain answers. Usage: keychain.sh path/to/test_secrets [test function...]
set -euo pipefail
test_binary="$1"
shift
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
export HOME="$home" XDG_DATA_HOME="$home/share" XDG_RUNTIME_DIR="$home/run"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
exec dbus-run-session -- bash -c '
    echo -n tollgate-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    TOLLGATE_TEST_KEYCHAIN=1 exec "$@"' keychain "$test_binary" "$@"
