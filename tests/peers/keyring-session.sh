#!/bin/sh
# Run inside `dbus-run-session`: start a fresh gnome-keyring (its login
# collection created and unlocked with a throwaway password, under a
# throwaway home), print the session bus address for the test, and keep the
# session alive until the test closes stdin.
set -e
home=$(mktemp -d)
export HOME="$home" XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config"
eval "$(printf 'test-only' | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
echo "$DBUS_SESSION_BUS_ADDRESS"
read -r _ || true
rm -rf "$home"
