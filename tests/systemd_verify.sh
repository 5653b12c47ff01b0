#!/bin/sh
# Check systemd/anchord.service with `systemd-analyze verify` (and print the
# `systemd-analyze security` exposure score when this systemd supports
# --offline). The unit's ExecStart binary must exist for verify, so the unit
# is checked from a temporary copy pointing at a stand-in executable.
# Exit 0 when verify is clean; 77 (skip) when systemd-analyze is missing.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
unit="$here/systemd/anchord.service"
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd-analyze not installed: skipping (apt-get install systemd)" >&2
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Stand-in for /usr/local/bin/anchord (verify only checks it is executable).
cp /bin/true "$tmp/anchord"
sed "s#/usr/local/bin/anchord#$tmp/anchord#g" "$unit" > "$tmp/anchord.service"
out=$(systemd-analyze verify --man=no "$tmp/anchord.service" 2>&1) || {
    echo "$out" >&2
    echo "systemd-analyze verify failed" >&2
    exit 1
}
# Some systemd versions report problems on stderr but exit 0; treat any
# message about our unit as a failure.
if printf '%s\n' "$out" | grep -q "anchord.service"; then
    echo "$out" >&2
    echo "systemd-analyze verify reported problems" >&2
    exit 1
fi
echo "systemd-analyze verify: OK"
if systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
    systemd-analyze security --offline=yes "$tmp/anchord.service" 2>&1 | tail -n 1
fi
