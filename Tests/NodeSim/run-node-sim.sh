#!/usr/bin/env bash
# A simulated droplet: runs a node's user_data (the exact script timmyd renders)
# as root in a fresh Debian 12 root filesystem with its own mount, PID and
# network namespaces (loopback only), a real blank block device as the
# DigitalOcean volume, and stand-ins for Docker, Tailscale, UFW and systemctl;
# then checks what it built. Needs root. See Tests/NodeSim/README.md.
#
#   run-node-sim.sh USERDATA_FILE [--fail-step STEP] [--secrets FILE] [--report-socket TIMMYD_SOCKET]
#                   [--public-ip ADDRESS] [--keep]
#
# Exit 0 when every check passes, 1 when one fails (each is printed), 2 on a
# harness problem. Nothing is left behind: loop device, namespace and mounts are
# removed on every exit (--keep leaves the work folder for a look).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# Debian's own tools and python3 (with python3-yaml and python3-jsonschema) first,
# whatever else the caller's PATH holds; the stage and the checks inherit it.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
usage() {
    echo "usage: $0 USERDATA_FILE [--fail-step packages|docker|firewall|images|bitcoind|lnd|lnbits] [--secrets FILE]" \
        "[--report-socket TIMMYD_SOCKET] [--public-ip ADDRESS] [--keep]" >&2
    exit 2
}

userdata="" fail_step="" secrets_file="" report_socket="" public_ip=203.0.113.7 keep=0
while (($#)); do
    case "$1" in
        --fail-step) fail_step=${2:?}; shift 2 ;;
        --secrets) secrets_file=${2:?}; shift 2 ;;
        # The node's reports go through nginx (the shipped site) to this timmyd, not to a recorder.
        --report-socket) report_socket=${2:?}; shift 2 ;;
        # What the droplet metadata service answers as the node's public IPv4 address.
        --public-ip) public_ip=${2:?}; shift 2 ;;
        --keep) keep=1; shift ;;
        -*) usage ;;
        *) [[ -z $userdata ]] || usage; userdata=$1; shift ;;
    esac
done
[[ -n $userdata && -f $userdata ]] || usage
case "$fail_step" in
    "" | packages | docker | firewall | images | bitcoind | lnd | lnbits) ;;
    *) echo "node-sim: --fail-step $fail_step is not one the sim can force" >&2; exit 2 ;;
esac
if [[ ! $public_ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then
    echo "node-sim: --public-ip $public_ip is not an IPv4 address" >&2
    exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "node-sim: needs root (loop devices, namespaces, chroot)" >&2
    exit 2
fi
for tool in unshare ip losetup chroot openssl python3 systemd-analyze; do
    command -v "$tool" >/dev/null || { echo "node-sim: $tool is missing (contrib/setup-debian.sh installs it)" >&2; exit 2; }
done
python3 -c 'import yaml, jsonschema' 2>/dev/null ||
    { echo "node-sim: python3-yaml and python3-jsonschema are missing (contrib/setup-debian.sh)" >&2; exit 2; }

log() { printf 'node-sim: %s\n' "$*" >&2; }

# --- The root filesystem, built once per package list and cached as a tarball ---
# Everything the script installs with apt must already be here: the sim's apt
# sources are an empty local repository (no network), so installing what is
# installed is a no-op and anything else fails, as it would offline.
ROOTFS_PACKAGES=(
    # what the script runs or apt-installs
    bash ca-certificates curl gnupg jq ufw e2fsprogs util-linux mount coreutils iproute2 openssl procps
    # real unit search paths and `systemctl enable`, so systemd-analyze verify sees a whole system
    systemd
    # the stand-ins and fakes are Python; compose files are read and checked with these
    python3 python3-yaml python3-jsonschema
)
SUITE=bookworm
MIRROR=${NODE_SIM_MIRROR:-http://deb.debian.org/debian}
cache_dir=${NODE_SIM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/timmy-node-sim}
key=$(printf '%s\n' "$SUITE" "$MIRROR" "${ROOTFS_PACKAGES[@]}" | sha256sum | cut -c1-16)
tarball=$cache_dir/rootfs-$key.tar
mkdir -p "$cache_dir"
(
    flock 9
    if [[ ! -s $tarball ]]; then
        command -v mmdebstrap >/dev/null || { echo "node-sim: mmdebstrap is missing (contrib/setup-debian.sh)" >&2; exit 2; }
        log "building the Debian $SUITE root filesystem (once; cached as $tarball)"
        started=$SECONDS
        include=$(IFS=,; echo "${ROOTFS_PACKAGES[*]}")
        if ! mmdebstrap --quiet --format=tar --variant=apt --include="$include" "$SUITE" "$tarball.tmp" "$MIRROR" >"$cache_dir/build.log" 2>&1; then
            tail -n 20 "$cache_dir/build.log" >&2
            rm -f "$tarball.tmp"
            exit 2
        fi
        mv "$tarball.tmp" "$tarball"
        log "root filesystem built in $((SECONDS - started)) s"
    fi
) 9>"$cache_dir/lock"

# --- A fresh copy for this run ---
work=$(mktemp -d "${TMPDIR:-/tmp}/timmy-node-sim.XXXXXX")
rootfs=$work/rootfs
sim=$work/sim
namespace=timmy-node-sim-$$
loop="" sim_pid=""
cleanup() {
    local status=$?
    set +e
    if [[ -n ${sim_pid:-} ]]; then
        # unshare ignores SIGTERM while it waits; SIGKILL ends it, and --kill-child the sim.
        kill -KILL "$sim_pid" 2>/dev/null
        wait "$sim_pid" 2>/dev/null
    fi
    # The mounts live in the sim's private mount namespace and went with it; this
    # is only a guard before deleting anything.
    if findmnt -rn -o TARGET | grep -q "^$work/"; then
        findmnt -rn -o TARGET | grep "^$work/" | sort -r | xargs -r -n1 umount -l
    fi
    ip netns del "$namespace" 2>/dev/null
    [[ -n $loop ]] && losetup -d "$loop"
    if ((keep)); then
        log "kept $work"
    else
        rm -rf --one-file-system "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$rootfs" "$sim/out" "$sim/tls"
tar -xpf "$tarball" --numeric-owner -C "$rootfs"
cp -r "$HERE/fakes" "$HERE/lnd-rest-spec.json" "$HERE/compose-spec.json" "$sim/"
printf '%s\n' "$fail_step" >"$sim/fail-step"
printf '%s\n' "$public_ip" >"$sim/public-ip"
: >"$sim/secrets"
if [[ -n $secrets_file ]]; then
    grep -v '^[[:space:]]*$' "$secrets_file" >"$sim/secrets" || true
fi
chmod 0600 "$sim/secrets"
python3 "$HERE/userdata_inputs.py" "$userdata" >"$sim/inputs.json"

# LND's certificate, made here as LND makes its own: self-signed, for 127.0.0.1 and the name lnd.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /O=lnd/CN=fake-lnd \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:lnd" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
    -keyout "$sim/tls/tls.key" -out "$sim/tls/tls.cert" 2>/dev/null

bash "$HERE/prepare-rootfs.sh" "$rootfs" "$fail_step"
# Where cloud-init keeps user_data on a droplet.
install -d -m 0700 "$rootfs/var/lib/cloud/instance/scripts"
install -m 0700 "$userdata" "$rootfs/var/lib/cloud/instance/scripts/part-001"

# --- The DigitalOcean volume: a sparse file on a loop device, blank ---
volume_gb=$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("VOLUME_GB", "0"))' <"$sim/inputs.json")
if ((volume_gb > 0)); then
    truncate -s "${volume_gb}G" "$work/volume.img"
    loop=$(losetup --find --show "$work/volume.img")
    log "volume: ${volume_gb} GB on $loop"
fi

# --- Network: a namespace with loopback only ---
ip netns add "$namespace"
ip -n "$namespace" link set lo up

log "running the user_data twice in the sim${fail_step:+ (forcing $fail_step to fail)}"
started=$SECONDS
stage_status=0
# In the background, so a signal reaches the trap at once; --kill-child takes the
# sim's PID namespace (and every process in it) down with unshare. The timeouts end
# with SIGKILL: a caller may have SIGTERM blocked (Swift test runners do), and
# children inherit that.
ip netns exec "$namespace" unshare --mount --pid --fork --kill-child --mount-proc --propagation private \
    timeout -k 30 1200 bash "$HERE/sim-stage.sh" "$work" "$loop" "$report_socket" &
sim_pid=$!
wait "$sim_pid" || stage_status=$?
sim_pid=""
log "sim finished in $((SECONDS - started)) s"
if ((stage_status != 0)); then
    log "the sim itself failed (status $stage_status); see $work/sim/out/stage.log"
    tail -n 30 "$sim/out/stage.log" >&2 || true
    exit 2
fi

python3 "$HERE/checks.py" "$work"
