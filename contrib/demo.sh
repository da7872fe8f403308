#!/usr/bin/env bash
# A whole purchase against a stub timmyd, step by step: the quickest way to see
# what timmyd does. Nothing is paid and no server is created: payments and
# provisioning are the daemon's built-in stubs.
#
#   contrib/demo.sh [FOLDER]     (default: ./demo in the repository)
#
# FOLDER keeps the socket, the state (database and master key), the daemon's log,
# the buyer's token file and the claimed keys. Running again reuses it: the
# earlier jobs stay in the state. Set TIMMY_BIN to a folder holding timmyd and
# timmyctl to skip building.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
demo=${1:-$repo/demo}
mkdir -p "$demo/keys"
chmod 700 "$demo/keys" # claimed private keys land here
demo=$(cd "$demo" && pwd) # absolute, so the paths printed at the end work from anywhere

sock=$demo/timmyd.sock
state=$demo/state
log=$demo/timmyd.log
# Unix socket paths are limited to 108 bytes; say so rather than fail obscurely.
if ((${#sock} > 100)); then
    echo "demo: $sock is too long for a Unix socket; pick a shorter folder" >&2
    exit 64
fi
command -v ssh-keygen >/dev/null || {
    echo "demo: ssh-keygen is missing (apt-get install openssh-client)" >&2
    exit 69
}
command -v socat >/dev/null || {
    echo "demo: socat is missing (apt-get install socat)" >&2
    exit 69
}

# Bold headers on a terminal only, so a saved transcript stays plain text.
bold='' plain=''
if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
# Shows each command as a newcomer would type it, then runs it.
ctl() {
    printf '$ timmyctl %s\n' "$*"
    "$bin/timmyctl" "$@"
}

# --- Binaries -----------------------------------------------------------------
if [[ -n ${TIMMY_BIN:-} ]]; then
    bin=$TIMMY_BIN
else
    bin=$repo/.build/release
    # System libraries and tools this needs (Debian); quick when all are there.
    bash "$repo/contrib/setup-debian.sh"
    # Build only when a binary is missing or a source is newer than it: even a
    # no-op `swift build` takes seconds.
    if [[ ! -x $bin/timmyd || ! -x $bin/timmyctl ]] ||
        [[ -n $(find "$repo/Sources" "$repo/Package.swift" -newer "$bin/timmyd" -print -quit) ]]; then
        step "Building (swift build -c release; the first time takes a few minutes)"
        (cd "$repo" && swift build -c release)
    fi
fi
for tool in timmyd timmyctl; do
    [[ -x $bin/$tool ]] || {
        echo "demo: $bin/$tool not found (TIMMY_BIN must name a folder with timmyd and timmyctl)" >&2
        exit 69
    }
done

# --- Daemon -------------------------------------------------------------------
export TIMMY_SOCKET=$sock
# Tokens from `timmyctl new` go here instead of the user's own token file.
export TIMMY_TOKEN_FILE=$demo/tokens

if "$bin/timmyctl" info >/dev/null 2>&1; then
    echo "demo: a timmyd is already listening on $sock; stop it first" >&2
    exit 75
fi

daemon=
stop_daemon() {
    [[ -n $daemon ]] || return 0
    kill -TERM "$daemon" 2>/dev/null || true
    local status=0
    wait "$daemon" || status=$?
    daemon=
    # timmyd unlinks its socket on a clean stop; this covers a crash. Nothing else is removed.
    rm -f "$sock"
    return "$status"
}
trap 'stop_daemon || true' EXIT
trap 'exit 130' INT TERM # runs the EXIT trap too

step "Starting timmyd with stub payments and provisioning"
printf '%s\n' "---- demo run $(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$log"
# Unset anything that would select real backends: this demo is stub-only.
# The socket group is the user's own, so no `timmy` group is needed.
env -u LNBITS_URL -u LNBITS_API_KEY -u LNBITS_API_KEY_FILE -u LNBITS_ADMIN_KEY -u LNBITS_ADMIN_KEY_FILE \
    -u DO_API_TOKEN -u DO_API_TOKEN_FILE -u TAILSCALE_API_KEY -u TAILSCALE_API_KEY_FILE \
    -u CREDENTIALS_DIRECTORY -u TIMMY_REQUIRE_REAL \
    TIMMY_SOCKET_GROUP="$(id -gn)" STUB_PROVISION_DELAY_MS="${STUB_PROVISION_DELAY_MS:-3000}" \
    "$bin/timmyd" --socket "$sock" --state-dir "$state" >>"$log" 2>&1 &
daemon=$!
echo "timmyd pid $daemon, socket $sock, log $log"

# Ready once it answers; a stale socket from a crashed run refuses connections until then.
for _ in $(seq 100); do
    "$bin/timmyctl" info >/dev/null 2>&1 && break
    if ! kill -0 "$daemon" 2>/dev/null; then
        status=0
        wait "$daemon" || status=$?
        daemon=
        echo "demo: timmyd exited with status $status; the end of its log:" >&2
        tail -n 5 "$log" >&2
        exit 1
    fi
    sleep 0.1
done
"$bin/timmyctl" info >/dev/null # fails loudly if it never came up

# --- The purchase -------------------------------------------------------------
step "1. What this daemon sells"
ctl info

step "2. Start a purchase: timmyd answers with a Lightning invoice"
created=$(ctl new --label "demo")
echo "$created"
job=$(awk '$1 == "job:" { print $2; exit }' <<<"$created")

step "3. The job waits for payment"
ctl status "$job"

step "4. Pay the invoice (the stub stands in for a Lightning wallet)"
ctl simulate-payment "$job"

step "5. Watch provisioning until the node is ready"
ctl watch "$job"

step "6. A claim whose reply is lost (a closed tab, a proxy timeout): the key was sent, the buyer never got it"
token=$(awk -v job="$job" '$1 == job { print $2 }' "$TIMMY_TOKEN_FILE")
# A raw JSON-RPC client whose reply goes nowhere; printf is a shell builtin, so the
# token never appears on a command line.
printf '$ printf '\''{"jsonrpc":"2.0","id":1,"method":"bootstrap.claimKey","params":{"jobId":"%s","accessToken":"<token>"}}\\n'\'' | socat - UNIX-CONNECT:%s >/dev/null\n' "$job" "$sock"
printf '{"jsonrpc":"2.0","id":1,"method":"bootstrap.claimKey","params":{"jobId":"%s","accessToken":"%s"}}\n' "$job" "$token" |
    socat - "UNIX-CONNECT:$sock" >/dev/null
echo "OK: delivered, and the reply thrown away; timmyd keeps the key until receipt is confirmed"

step "7. Claim again: the same key; timmyctl saves it, checks its fingerprint, then confirms receipt"
key=$demo/keys/$job
ctl claim-key "$job" --out "$key"

step "8. Check the key: its public half must be the node's sshPublicKey"
derived=$(ssh-keygen -y -f "$key")
# Pretty JSON from timmyd has one key per line and does not escape '/', so sed
# suffices and the demo needs no jq.
announced=$("$bin/timmyctl" status --json "$job" | sed -n 's/^ *"sshPublicKey": "\(.*\)",\{0,1\}$/\1/p')
echo "ssh-keygen -y: $derived"
echo "status --json: $announced"
# Compare type and key material; the comment is not part of the key.
if [[ $(cut -d' ' -f1,2 <<<"$derived") == "$(cut -d' ' -f1,2 <<<"$announced")" ]]; then
    echo "OK: the claimed private key matches the node's public key"
else
    echo "demo: MISMATCH between the claimed key and the node's public key" >&2
    exit 1
fi

step "9. Claim after the confirmation: refused, the daemon no longer holds the key (expected failure)"
status=0
errors=$(ctl claim-key "$job" --out "$key.again" 2>&1) || status=$?
echo "$errors"
if [[ $status -eq 1 && $errors == *key_already_claimed* ]]; then
    echo "OK: exit code 1 with key_already_claimed, as expected"
else
    echo "demo: expected exit code 1 and key_already_claimed, got exit code $status" >&2
    exit 1
fi

step "10. The operator's view (admin: same user as the daemon)"
ctl jobs
ctl stats

step "Stopping timmyd (SIGTERM)"
stop_daemon || {
    echo "demo: timmyd exited with status $?" >&2
    exit 1
}
echo "timmyd stopped cleanly."
echo
echo "Key file:      $key"
echo "State:         $state"
echo "Daemon's log:  $log"
