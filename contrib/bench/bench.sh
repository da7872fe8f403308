#!/usr/bin/env bash
# Wall time of `timmyctl info`, next to baselines measured in the same run:
#   socat -V                   starting a small C program, no socket
#   printf REQUEST | socat     a C client doing the same daemon.info round trip
# The stub daemon is started here, on a private socket, from release binaries
# (built if missing, or taken from $TIMMY_BIN). Then, if python3 is present,
# rpc_roundtrip.py measures per-call latency over one persistent connection.
#
#   contrib/bench/bench.sh [RUNS]      (default 200 runs per command)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=${1:-200}
if ! [[ $runs =~ ^[0-9]+$ ]] || ((runs < 10 || runs > 10000)); then
    echo "bench: RUNS must be from 10 to 10000" >&2
    exit 64
fi

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
for tool in hyperfine socat; do
    if ! command -v "$tool" >/dev/null; then
        echo "bench: installing $tool"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
    fi
done

# Release binaries: a debug build would measure the wrong thing.
bin=${TIMMY_BIN:-$repo/.build/release}
if [[ -z ${TIMMY_BIN:-} && (! -x $bin/timmyd || ! -x $bin/timmyctl ||
    -n $(find "$repo/Sources" "$repo/Package.swift" -newer "$bin/timmyd" -print -quit)) ]]; then
    (cd "$repo" && swift build -c release)
fi

work=$(mktemp -d)
sock=$work/timmyd.sock
daemon=
cleanup() {
    if [[ -n $daemon ]]; then
        kill -TERM "$daemon" 2>/dev/null || true
        wait "$daemon" || true
    fi
    rm -rf "$work" # all of it is this run's own: a throwaway state and socket
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TIMMY_SOCKET_GROUP=$(id -gn) LOG_LEVEL=warning \
    "$bin/timmyd" --socket "$sock" --state-dir "$work/state" 2>"$work/timmyd.log" &
daemon=$!
for _ in $(seq 100); do
    [[ -S $sock ]] && break
    kill -0 "$daemon" 2>/dev/null || { cat "$work/timmyd.log" >&2; exit 1; }
    sleep 0.1
done
export TIMMY_SOCKET=$sock

# Fail before measuring if any command does not actually work.
request='{"jsonrpc":"2.0","id":1,"method":"daemon.info"}'
raw="printf '$request\\n' | socat - UNIX-CONNECT:$sock"
sh -c "$raw" | grep -q '"result"' || { echo "bench: raw socat call failed" >&2; exit 1; }
"$bin/timmyctl" info >/dev/null

echo "Machine: $(nproc) CPUs, $(uname -sr); $runs runs each"
# All three run through hyperfine's shell, whose own start-up it measures and
# subtracts, so they stand on the same footing (the pipe needs a shell anyway).
# Its warning about commands under 5 ms concerns the precision of that correction.
hyperfine --style basic --warmup 10 --runs "$runs" --export-csv "$work/results.csv" \
    -n "socat -V" "socat -V" \
    -n "raw socat daemon.info" "$raw" \
    -n "timmyctl info" "$bin/timmyctl info"

# CSV columns: command,mean,stddev,median,user,system,min,max (seconds).
awk -F, 'NR > 1 { median[$1] = $4; order[NR] = $1 }
    END {
        print "\nMedians:"
        for (i = 2; i <= NR; i++) printf "  %-24s %8.2f ms\n", order[i], median[order[i]] * 1000
        printf "timmyctl info / raw socat: %.2f\n", median["timmyctl info"] / median["raw socat daemon.info"]
        printf "timmyctl info / socat -V:  %.2f\n", median["timmyctl info"] / median["socat -V"]
    }' "$work/results.csv"

if command -v python3 >/dev/null; then
    echo
    python3 "$here/rpc_roundtrip.py" "$sock" 2000
fi
