#!/usr/bin/env bash
# Turns a fresh copy of the cached Debian root filesystem into the simulated
# droplet: offline apt sources, the stand-ins on PATH, and the unit files the
# real Docker and Tailscale packages would have installed.
#   prepare-rootfs.sh ROOTFS FAIL_STEP
set -euo pipefail
rootfs=$1 fail_step=$2

# apt: one empty local repository, trusted. `apt-get update` succeeds and installing
# what is installed is a no-op; anything else fails, as without a network.
# (--fail-step packages points it at a folder that does not exist: update fails.)
repo=/var/local/timmy-sim-repo
mkdir -p "$rootfs$repo"
: >"$rootfs$repo/Packages"
rm -f "$rootfs"/etc/apt/sources.list.d/*
if [[ $fail_step == packages ]]; then
    echo "deb [trusted=yes] file:/var/local/no-such-repo ./" >"$rootfs/etc/apt/sources.list"
else
    echo "deb [trusted=yes] file:$repo ./" >"$rootfs/etc/apt/sources.list"
fi
rm -rf "$rootfs"/var/lib/apt/lists/*

# No name service: every name but localhost fails at once.
printf '127.0.0.1 localhost\n::1 localhost\n' >"$rootfs/etc/hosts"
: >"$rootfs/etc/resolv.conf"
echo "timmy-sim" >"$rootfs/etc/hostname"
: >"$rootfs/etc/fstab"

# The stand-ins, where the real packages put their commands. /usr/local comes first
# on PATH, so ufw, systemctl and swapon there shadow the real ones in the rootfs.
wrapper() {
    local path=$rootfs$1 tool=$2
    mkdir -p "$(dirname "$path")"
    printf '#!/bin/sh\nexec /usr/bin/python3 /node-sim/fakes/standins.py %s "$@"\n' "$tool" >"$path"
    chmod 0755 "$path"
}
wrapper /usr/bin/docker docker
wrapper /usr/bin/tailscale tailscale
wrapper /usr/sbin/tailscaled tailscaled
wrapper /usr/local/sbin/ufw ufw
wrapper /usr/local/bin/systemctl systemctl
wrapper /usr/local/sbin/swapon swapon

# mkfs.ext4 is real; this records each call so the checks can count formats.
cat >"$rootfs/usr/local/sbin/mkfs.ext4" <<'EOF'
#!/bin/sh
/usr/bin/python3 -c 'import sys; sys.path.insert(0, "/node-sim/fakes"); import simlib; simlib.record_call("mkfs.ext4", sys.argv[1:])' "$@"
exec /usr/sbin/mkfs.ext4 "$@"
EOF
chmod 0755 "$rootfs/usr/local/sbin/mkfs.ext4"

# Waits shrink: the script's retry loops sleep seconds between attempts; here a
# twentieth of that, at most half a second, so a forced failure does not take an hour.
cat >"$rootfs/usr/local/bin/sleep" <<'EOF'
#!/bin/bash
case "${1:-1}" in
  infinity) exec /usr/bin/sleep infinity ;;
  *[!0-9.]*) exec /usr/bin/sleep "$@" ;;
esac
exec /usr/bin/sleep "$(awk -v s="${1:-1}" 'BEGIN { s = s / 20; if (s > 0.5) s = 0.5; printf "%.2f", s }')"
EOF
chmod 0755 "$rootfs/usr/local/bin/sleep"

# Unit files as docker-ce and tailscale ship them (trimmed), so `systemctl enable --now`
# and systemd-analyze verify find them.
cat >"$rootfs/lib/systemd/system/docker.service" <<'EOF'
[Unit]
Description=Docker Application Container Engine (node-sim stand-in)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=/usr/bin/docker info

[Install]
WantedBy=multi-user.target
EOF
cat >"$rootfs/lib/systemd/system/tailscaled.service" <<'EOF'
[Unit]
Description=Tailscale node agent (node-sim stand-in)
After=network-pre.target

[Service]
Type=simple
ExecStart=/usr/sbin/tailscaled

[Install]
WantedBy=multi-user.target
EOF

mkdir -p "$rootfs/node-sim"
