#!/usr/bin/env bash
# Installs the timmyd package in a throwaway Debian 12 root (a minimal mmdebstrap
# root with systemd and no Swift, cached as a tarball), checks what it put where,
# starts timmyd there on its stubs and asks it `timmyctl info`, then upgrades, removes and
# purges it and checks what each leaves. Needs root (chroot, namespaces) and the
# Debian mirror (apt fetches the package's Depends, proving they are enough).
#
#   contrib/package/test-deb.sh [PACKAGE.deb]     (default: build it with build-deb.sh)
#
# Exit 0 when every check passes, 1 when one fails (each failure is printed), 2 when
# the harness cannot run or apt-get fails.
# The root lives in a temporary folder removed on every exit; mounts are made in a
# private mount namespace, so nothing is left mounted.
# The checks are scripts run inside the root: their $ expand there, not here.
# shellcheck disable=SC2016
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

log() { printf 'test-deb: %s\n' "$*" >&2; }
die() { log "$*"; exit 2; }

[[ $(id -u) -eq 0 ]] || die "needs root (chroot and namespaces)"
for tool in mmdebstrap unshare chroot dpkg-deb; do
    command -v "$tool" >/dev/null || die "$tool is missing (contrib/setup-debian.sh installs it)"
done

started=$SECONDS
package=${1:-}
if [[ -z $package ]]; then
    package=$(bash contrib/package/build-deb.sh | tail -n 1)
fi
[[ -f $package ]] || die "no package at '$package'"
package_name=$(basename "$package")
upstream=$(dpkg-deb -f "$package" Version)
upstream=${upstream%-*}

# --- The root, built once and cached ------------------------------------------
# minbase has apt and dpkg; systemd is the package's heaviest Depends and does not
# change what is tested, so it is in the cache. Nothing else: the system libraries
# timmyd links must come from the package's own Depends.
SUITE=bookworm
MIRROR=${TIMMY_DEB_TEST_MIRROR:-http://deb.debian.org/debian}
INCLUDE=systemd
cache_dir=${TIMMY_DEB_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/timmy-package-test}
key=$(printf '%s\n' "$SUITE" "$MIRROR" "$INCLUDE" | sha256sum | cut -c1-16)
tarball=$cache_dir/rootfs-$key.tar
# mmdebstrap picks its output format from the name: keep .tar at the end.
tarball_part=$cache_dir/rootfs-$key.part.tar
mkdir -p "$cache_dir"
(
    flock 9
    if [[ ! -s $tarball ]]; then
        log "building the Debian 12 root once (cached as $tarball)"
        mmdebstrap --quiet --variant=minbase --include="$INCLUDE" "$SUITE" "$tarball_part" "$MIRROR" >&2
        mv "$tarball_part" "$tarball"
    fi
) 9>"$cache_dir/lock"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir "$root"
tar -xf "$tarball" -C "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$package" "$root/tmp/$package_name"

# Runs a shell script as root inside the root, with its own /proc and PID namespace
# (a daemon left running dies with it), a plain environment and no Swift on PATH.
in_root() {
    unshare --mount --pid --fork --kill-child --mount-proc="$root/proc" \
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive /bin/bash -euo pipefail -c "trap 'echo \"failed: \$BASH_COMMAND\" >&2' ERR
$1"
}

failures=0
check() {
    local what=$1 script=$2 output
    if output=$(in_root "$script" 2>&1); then
        log "ok   $what"
    else
        log "FAIL $what"
        printf '%s\n' "$output" | sed 's/^/    /' >&2
        failures=$((failures + 1))
    fi
}

# --- Install ------------------------------------------------------------------------
install_started=$SECONDS
in_root "apt-get -q update >/dev/null && apt-get -q install -y --no-install-recommends /tmp/$package_name" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; die "apt-get install failed"; }
log "installed with apt-get in $((SECONDS - install_started)) s"

check "no Swift toolchain in the root; the binaries find every library and no Swift runtime one" '
    # (`! cmd` alone would not stop the script under set -e: each check exits itself.)
    if command -v swift || [[ -e /usr/lib/swift ]]; then echo "a Swift toolchain is in the root"; exit 1; fi
    for program in /usr/bin/timmyd /usr/bin/timmyctl; do
        libraries=$(ldd "$program")
        ! grep -q "not found" <<<"$libraries" || { echo "$libraries"; exit 1; }
        ! grep -q libswift <<<"$libraries" || { echo "$libraries"; exit 1; }
    done'

check "dpkg lists the package installed, with its files" '
    [[ $(dpkg-query -W -f="\${Status}" timmyd) == "install ok installed" ]]
    for file in /usr/bin/timmyd /usr/bin/timmyctl /lib/systemd/system/timmyd.service /lib/systemd/system/timmyd.socket \
        /usr/lib/sysusers.d/timmyd.conf /usr/lib/tmpfiles.d/timmyd.conf /etc/timmyd/timmyd.env \
        /usr/share/man/man1/timmyd.1.gz /usr/share/man/man1/timmyctl.1.gz \
        /usr/share/doc/timmyd/copyright /usr/share/doc/timmyd/changelog.Debian.gz; do
        dpkg -S "$file" >/dev/null || { echo "not from the package: $file"; exit 1; }
    done
    dpkg-query -W -f="\${Conffiles}" timmyd | grep -q "^ /etc/timmyd/timmyd.env "'

check "the units start /usr/bin/timmyd with the packaged paths on the socket, are enabled, not started (no systemd running)" '
    grep -q "^ExecStart=/usr/bin/timmyd .*--env-file /etc/timmyd/timmyd.env" /lib/systemd/system/timmyd.service
    grep -qx "Type=notify" /lib/systemd/system/timmyd.service
    grep -qx "Requires=timmyd.socket" /lib/systemd/system/timmyd.service
    grep -qx "ListenStream=/run/timmyd/timmyd.sock" /lib/systemd/system/timmyd.socket
    grep -qx "SocketMode=0660" /lib/systemd/system/timmyd.socket
    grep -qx "SocketGroup=timmy" /lib/systemd/system/timmyd.socket
    [[ $(readlink /etc/systemd/system/multi-user.target.wants/timmyd.service) == /lib/systemd/system/timmyd.service ]]
    [[ $(readlink /etc/systemd/system/sockets.target.wants/timmyd.socket) == /lib/systemd/system/timmyd.socket ]]
    if grep -q /usr/local /lib/systemd/system/timmyd.service /lib/systemd/system/timmyd.socket; then exit 1; fi
    systemd-analyze verify /lib/systemd/system/timmyd.socket /lib/systemd/system/timmyd.service'

# The sandboxing score of the installed unit (0 is best, 10 worst). It was 2.2 before
# socket activation let the unit drop its last capability; it must not get worse than
# this threshold (lower it when the unit gets tighter).
exposure_threshold=1.8
check "systemd-analyze security: timmyd.service exposure at most $exposure_threshold" "
    report=\$(systemd-analyze security --offline=true --no-pager /lib/systemd/system/timmyd.service 2>&1)
    score=\$(sed -n 's/.*Overall exposure level for timmyd.service: \\([0-9.]*\\).*/\\1/p' <<<\"\$report\")
    [[ -n \$score ]] || { echo \"\$report\"; exit 1; }
    awk -v score=\"\$score\" -v limit=$exposure_threshold 'BEGIN { exit !(score <= limit) }' || { echo \"\$report\"; exit 1; }"

check "groups timmy and timmy-admin exist (systemd-sysusers)" '
    getent group timmy && getent group timmy-admin'

check "modes: env file 0600 root, state 0700, secrets folder 0700, socket folder 0755" '
    [[ $(stat -c "%a %U %G" /etc/timmyd/timmyd.env) == "600 root root" ]]
    [[ $(stat -c "%a %U" /var/lib/timmyd) == "700 root" ]]
    [[ $(stat -c "%a %U" /etc/timmyd/credentials) == "700 root" ]]
    [[ $(stat -c "%a %U" /run/timmyd) == "755 root" ]]'

check "man pages come from the command definitions" '
    zcat /usr/share/man/man1/timmyd.1.gz | grep -q "^\.Dt TIMMYD 1"
    zcat /usr/share/man/man1/timmyd.1.gz | grep -q "^\.Op Fl -state-dir"
    zcat /usr/share/man/man1/timmyctl.1.gz | grep -q "^\.Dt TIMMYCTL 1"
    zcat /usr/share/man/man1/timmyctl.1.gz | grep -q "claim-key"'

check "bash, zsh and fish completions for timmyctl" '
    source /usr/share/bash-completion/completions/timmyctl
    complete -p timmyctl
    head -n 1 /usr/share/zsh/vendor-completions/_timmyctl | grep -qx "#compdef timmyctl"
    grep -q "^complete -c .*timmyctl" /usr/share/fish/vendor_completions.d/timmyctl.fish
    grep -q claim-key /usr/share/bash-completion/completions/timmyctl'

check "timmyctl --help, timmyd --help and --version run" "
    timmyctl --help | grep -q 'USAGE: timmyctl'
    timmyd --help | grep -q 'USAGE: timmyd'
    [[ \$(timmyctl --version) == '$upstream' && \$(timmyd --version) == '$upstream' ]]"

# The unit's own command line, on the packaged env file: stubs, since it sets nothing.
check "timmyd starts on stubs as the unit starts it; timmyctl info answers root as admin, a member of timmy as client" "
    useradd --no-create-home --groups timmy buyer
    command=\$(sed -n 's/^ExecStart=//p' /lib/systemd/system/timmyd.service)
    \$command 2>/tmp/timmyd.log &
    daemon=\$!
    for _ in \$(seq 100); do [[ -S /run/timmyd/timmyd.sock ]] && break; sleep 0.1; done
    info=\$(timmyctl info) || { cat /tmp/timmyd.log; exit 1; }
    echo \"\$info\"
    grep -qx 'timmyd $upstream' <<<\"\$info\"
    grep -q '^payments: *stub' <<<\"\$info\"
    grep -q '^provisioning: *stub' <<<\"\$info\"
    grep -q '^you: *uid 0, admin' <<<\"\$info\"
    buyer=\$(setpriv --reuid=buyer --regid=buyer --init-groups timmyctl info)
    grep -q '^you: *uid [0-9]*, client' <<<\"\$buyer\"
    [[ \$(stat -c '%a %G' /run/timmyd/timmyd.sock) == '660 timmy' ]]
    [[ -s /var/lib/timmyd/master.key ]]
    kill -TERM \$daemon
    wait \$daemon
    [[ ! -e /run/timmyd/timmyd.sock ]]"

log "$(in_root 'systemd-analyze security --offline=true --no-pager /lib/systemd/system/timmyd.service 2>&1 | tail -n 1') (CI threshold $exposure_threshold)"

# --- Upgrade: the same package with a higher version, over an edited conffile ----------------
version=$(dpkg-deb -f "$package" Version)
newer=$version.1
dpkg-deb -R "$package" "$work/newer"
sed -i "s/^Version: .*/Version: $newer/" "$work/newer/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip -z1 -b "$work/newer" "$root/tmp/timmyd-newer.deb" >/dev/null
in_root 'echo "# kept across upgrade and remove" >>/etc/timmyd/timmyd.env
    sha256sum /var/lib/timmyd/master.key >/root/master.key.sha256
    apt-get -q install -y /tmp/timmyd-newer.deb </dev/null' >"$work/upgrade.log" 2>&1 ||
    { cat "$work/upgrade.log" >&2; die "apt-get install of the newer package failed"; }
check "an upgrade keeps the edited conffile (no prompt), its mode, the state and the enabled unit" "
    [[ \$(dpkg-query -W -f='\${Version}' timmyd) == '$newer' ]]
    tail -n 1 /etc/timmyd/timmyd.env | grep -qx '# kept across upgrade and remove'
    [[ \$(stat -c '%a %U' /etc/timmyd/timmyd.env) == '600 root' ]]
    sha256sum --check --quiet /root/master.key.sha256
    [[ \$(readlink /etc/systemd/system/multi-user.target.wants/timmyd.service) == /lib/systemd/system/timmyd.service ]]
    [[ \$(readlink /etc/systemd/system/sockets.target.wants/timmyd.socket) == /lib/systemd/system/timmyd.socket ]]"

# --- Remove: the configuration and the state stay -------------------------------------------
in_root 'apt-get -q remove -y timmyd' >"$work/remove.log" 2>&1 ||
    { cat "$work/remove.log" >&2; die "apt-get remove failed"; }
check "remove takes the programs and keeps the conffile (as edited) and the state" '
    [[ $(dpkg-query -W -f="\${Status}" timmyd) == "deinstall ok config-files" ]]
    [[ ! -e /usr/bin/timmyd && ! -e /usr/bin/timmyctl && ! -e /lib/systemd/system/timmyd.service ]]
    [[ ! -e /lib/systemd/system/timmyd.socket ]]
    tail -n 1 /etc/timmyd/timmyd.env | grep -qx "# kept across upgrade and remove"
    [[ -s /var/lib/timmyd/master.key ]]'

# --- Purge: nothing of timmyd is left but its groups ----------------------------------------
in_root 'apt-get -q purge -y timmyd' >"$work/purge.log" 2>&1 ||
    { cat "$work/purge.log" >&2; die "apt-get purge failed"; }
check "purge removes the conffile, the secrets folder, the state and the unit's state; the groups stay" '
    if dpkg-query -W -f="\${Status}" timmyd 2>/dev/null | grep -q installed; then exit 1; fi
    [[ ! -e /etc/timmyd && ! -e /var/lib/timmyd ]]
    left=$(find /etc /usr /lib /var /run -name "*timmy*" ! -path "/var/cache/apt/*" ! -path "/var/lib/apt/*" 2>/dev/null)
    [[ -z $left ]] || { echo "left behind: $left"; exit 1; }
    getent group timmy'

log "$((SECONDS - started)) s in all; $failures failed"
((failures == 0))
