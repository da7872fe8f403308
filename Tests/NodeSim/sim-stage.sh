#!/usr/bin/env bash
# Inside the sim's own mount, PID and network namespaces (run-node-sim.sh enters
# them): mounts a private /dev with the volume, /proc and the harness folder into
# the root filesystem, runs the user_data twice as root in a chroot, and records
# what only a live sim can show (mounts, the volume's UUID after each run, any
# operator secret on the node, volume included). Every mount made here vanishes
# with the namespace.
#   sim-stage.sh WORK LOOP_DEVICE_OR_EMPTY [TIMMYD_SOCKET]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
work=$1 loop=$2 report_socket=${3:-}
rootfs=$work/rootfs sim=$work/sim out=$work/sim/out
exec >>"$out/stage.log" 2>&1

# --- A private /dev: only what a droplet's script uses, plus the volume ---
mount -t tmpfs -o mode=0755,nosuid tmpfs "$rootfs/dev"
for node in "null c 1 3" "zero c 1 5" "full c 1 7" "random c 1 8" "urandom c 1 9" "tty c 5 0"; do
    read -r name kind major minor <<<"$node"
    mknod -m 0666 "$rootfs/dev/$name" "$kind" "$major" "$minor"
done
ln -s /proc/self/fd "$rootfs/dev/fd"
ln -s /proc/self/fd/0 "$rootfs/dev/stdin"
ln -s /proc/self/fd/1 "$rootfs/dev/stdout"
ln -s /proc/self/fd/2 "$rootfs/dev/stderr"
mkdir -p "$rootfs/dev/shm" "$rootfs/dev/pts"
volume_name=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("VOLUME_NAME") or d.get("NODE_NAME", ""))' <"$sim/inputs.json")
if [[ -n $loop ]]; then
    read -r major minor < <(stat -c '%t %T' "$loop")
    mknod -m 0660 "$rootfs$loop" b "$((16#$major))" "$((16#$minor))"
    mkdir -p "$rootfs/dev/disk/by-id"
    ln -s "../../$(basename "$loop")" "$rootfs/dev/disk/by-id/scsi-0DO_Volume_$volume_name"
fi

mount -t proc proc "$rootfs/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$rootfs/sys"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$rootfs/run"
mount --bind "$sim" "$rootfs/node-sim"

# --- The droplet metadata service, on its link-local address in this namespace ---
public_ip=$(cat "$sim/public-ip")
node_name=$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("NODE_NAME", "timmy-sim"))' <"$sim/inputs.json")
ip addr add 169.254.169.254/32 dev lo
NODE_SIM_DIR=$sim setsid python3 "$sim/fakes/fake_metadata.py" --public-ip "$public_ip" --hostname "$node_name" \
    </dev/null >>"$out/metadata.log" 2>&1 &
for _ in $(seq 50); do
    (exec 3<>/dev/tcp/169.254.169.254/80) 2>/dev/null && break
    sleep 0.1
done

# --- Setup reports: on the loopback port REPORT_URL names, a recorder, or (with a
# timmyd socket) nginx with the shipped site in front of that timmyd ---
report_url=$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("REPORT_URL", ""))' <"$sim/inputs.json")
if [[ -n $report_url ]]; then
    python3 "$HERE/report_target.py" "$sim/inputs.json" ${report_socket:+--to-timmyd} >"$out/report-target.json"
    if python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("serve") else 1)' <"$out/report-target.json"; then
        read -r port path < <(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["port"], d["path"])' <"$out/report-target.json")
        token=$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("REPORT_TOKEN", ""))' <"$sim/inputs.json")
        if [[ -n $report_socket ]]; then
            setsid python3 "$HERE/nginx_front.py" "$report_socket" "$port" "$work/nginx" </dev/null >>"$out/nginx.log" 2>&1 &
        else
            NODE_SIM_DIR=$sim setsid python3 "$sim/fakes/report_recorder.py" --port "$port" --path "$path" --token "$token" \
                </dev/null >>"$out/reports-server.log" 2>&1 &
        fi
        for _ in $(seq 50); do
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
            sleep 0.1
        done
    fi
fi

volume_uuid() { if [[ -n $loop ]]; then blkid -p -o value -s UUID "$loop" || true; fi; }

# The script posts its reports from a background sender that outlives it: wait until
# the sender has drained its queue and gone, then keep this run's reports apart.
drain_reports() {
    local n=$1 queue=$rootfs/opt/timmy-node/reports
    if [[ -d $queue ]]; then
        for _ in $(seq 300); do
            if ! compgen -G "$queue/*.report" >/dev/null && ! pgrep -f report-sender.sh >/dev/null; then
                break
            fi
            sleep 0.2
        done
        if compgen -G "$queue/*.report" >/dev/null; then
            echo "run $n: reports still queued after 60 s"
        fi
    fi
    if [[ -e $out/reports.jsonl ]]; then
        mv "$out/reports.jsonl" "$out/reports-run$n.jsonl"
    fi
}

run_userdata() {
    local n=$1 status=0
    echo "== run $n"
    chroot "$rootfs" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb \
        /usr/bin/timeout -k 30 900 /bin/bash /var/lib/cloud/instance/scripts/part-001 \
        </dev/null >"$out/run$n.log" 2>&1 || status=$?
    echo "$status" >"$out/run$n.status"
    drain_reports "$n"
    volume_uuid >"$out/uuid-after-run$n"
    cp "$rootfs/etc/fstab" "$out/fstab-after-run$n"
    echo "run $n: exit $status"
}

run_userdata 1
# The second run is what a re-run by hand (or cloud-init's once-per-instance going wrong) does.
if [[ $(cat "$out/run1.status") == 0 ]]; then
    cp "$out/calls.jsonl" "$out/calls-after-run1.jsonl" 2>/dev/null || : >"$out/calls-after-run1.jsonl"
    python3 "$HERE/snapshot.py" "$rootfs" >"$out/snapshot-after-run1.json"
    run_userdata 2
    python3 "$HERE/snapshot.py" "$rootfs" >"$out/snapshot-after-run2.json"
fi

# --- A reboot: every container stops, then the node's unit brings them back; LND must
# unlock its wallet from the password file and LNbits start once LND is up ---
in_sim() {
    chroot "$rootfs" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}
if [[ $(cat "$out/run2.status" 2>/dev/null) == 0 && -f $rootfs/etc/systemd/system/timmy-node.service ]]; then
    echo "== reboot"
    python3 "$HERE/boot_commands.py" "$rootfs/etc/systemd/system/timmy-node.service" >"$sim/boot.sh"
    status=0
    {
        in_sim /bin/bash -c 'cd /opt/timmy-node && docker compose down'
        in_sim /usr/bin/timeout -k 30 300 /bin/bash /node-sim/boot.sh
    } </dev/null >"$out/boot.log" 2>&1 || status=$?
    echo "$status" >"$out/boot.status"
    in_sim /bin/bash -c 'cd /opt/timmy-node && docker compose ps' >"$out/boot-ps.txt" 2>&1 || true
    in_sim /usr/bin/curl -sS --max-time 10 -k https://127.0.0.1:8080/v1/state >"$out/boot-lnd-state.json" 2>>"$out/boot.log" || true
    echo "reboot: exit $status"
fi

# --- What only the live sim shows ---
findmnt -J -o SOURCE,TARGET,FSTYPE,OPTIONS --mountpoint "$rootfs/mnt/timmy-data" >"$out/data-mount.json" || echo '{}' >"$out/data-mount.json"
if [[ -n $loop ]]; then
    blkid -p -o export "$loop" >"$out/volume-blkid.txt" || true
fi
python3 "$HERE/scan_secrets.py" "$rootfs" "$sim/secrets" >"$out/secret-hits.json"
echo "stage done"
