#!/usr/bin/env bash
# Fuzzes what a caller controls before timmyd authorizes anything: line framing,
# JSON parsing (jansson), the JSON-RPC envelope and batches, every method's params,
# and the HTTP request line and client-address header. libFuzzer targets, built
# with swiftc (-sanitize=fuzzer,address) from the Protocol sources, the few timmyd
# HTTP files involved and contrib/fuzz/Targets, into .build-fuzz/ (kept apart from
# SwiftPM's .build). Exits non-zero when a target crashes or breaks an invariant;
# the input that did it is left in .build-fuzz/crashes/.
#
#   contrib/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]   # default 60 s, every target
#   TARGETS: line-framing jsonrpc http-route
#   Replay one input:  .build-fuzz/jsonrpc .build-fuzz/crashes/jsonrpc-crash-…
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(line-framing jsonrpc http-route)
out=.build-fuzz
fuzz=contrib/fuzz
sanitize=${TIMMY_FUZZ_SANITIZERS:-fuzzer,address}
flags=(-O -g -parse-as-library -sanitize="$sanitize" -I "$out/modules" -I Sources/CJansson -L "$out")
mkdir -p "$out/modules" "$out/crashes"

# A static library and module for each dependency, compiled with the same instrumentation.
library() {  # NAME SOURCES...
    local name=$1
    shift
    swiftc "${flags[@]}" -module-name "$name" -emit-library -static -o "$out/lib$name.a" \
        -emit-module -emit-module-path "$out/modules/$name.swiftmodule" "$@"
}
echo "== building fuzz targets into $out ($sanitize)"
library Protocol $(find Sources/Protocol -name '*.swift' | sort)
library NIOHTTP1 "$fuzz/Stubs/NIOHTTP1.swift"

build() {  # TARGET SOURCES... -- LIBS...
    local target=$1
    shift
    swiftc "${flags[@]}" -module-name "Fuzz_${target//-/_}" -o "$out/$target" "$@" 2> >(grep -v 'Cannot export local symbol' >&2)
}
build line-framing "$fuzz/Targets/LineFramingTarget.swift" -lProtocol -ljansson
build jsonrpc "$fuzz/Targets/JSONRPCTarget.swift" -lProtocol -ljansson
build http-route "$fuzz/Targets/HTTPRouteTarget.swift" Sources/timmyd/HTTPServer/HTTPRoute.swift \
    Sources/timmyd/HTTPServer/ClientAddress.swift -lNIOHTTP1

status=0
for target in "${targets[@]}"; do
    # New inputs go to the first folder (the build's); the seeds in the repository stay as they are.
    mkdir -p "$out/corpus/$target"
    log="$out/$target.log"
    dictionary=()
    [ "$target" = http-route ] || dictionary=(-dict="$fuzz/json.dict")
    echo "== fuzzing $target for ${seconds}s"
    # Swift's own backtracer would race ASan's report; libFuzzer's is the one wanted.
    if ! SWIFT_BACKTRACE=enable=no "$out/$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dictionary[@]}" \
        -artifact_prefix="$out/crashes/$target-" "$out/corpus/$target" "$fuzz/corpus/$target" >"$log" 2>&1; then
        echo "!! $target FAILED; the input is in $out/crashes/ and the report in $log:"
        grep -E 'ERROR|Fatal error|Precondition failed|SUMMARY|Test unit written' "$log" | head -20
        status=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    echo "   $target: ${runs:-?} executions, ${rate:-?} per second, corpus $(ls "$out/corpus/$target" | wc -l) new inputs"
done
exit $status
