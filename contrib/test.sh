#!/usr/bin/env bash
# Runs every test: installs what is missing (Debian), builds debug and release,
# then the whole suite (unit and integration tests that start the real binaries).
set -euo pipefail
cd "$(dirname "$0")/.."

bash contrib/setup-debian.sh

# The fake DigitalOcean/Tailscale server the integration tests use checks itself first.
python3 -m unittest discover -s Tests/Fakes
# So do the simulated droplet's fakes (LND REST, LNbits first install); the droplet
# itself runs in the integration tests (NodeSimulationTests, as root).
python3 -m unittest discover -s Tests/NodeSim

# Release builds catch optimizer-only breakage that debug builds do not. The Swift
# runtime is linked in, as the Debian package ships it (contrib/package/build-deb.sh
# reuses this build).
swift build -c release --static-swift-stdlib
# The benchmark program runs end to end with tiny counts: it must work, its figures
# are not judged here (a shared CI machine says little about speed).
.build/release/timmy-bench --quick
swift build --build-tests
swift test --skip-build 2>&1 | tee .build/test-output.txt

# The Debian package: built from the release build above, checked by lintian (errors
# and warnings fail; the few justified ones are in contrib/package/deb/lintian-overrides),
# then installed, run, upgraded, removed and purged in a throwaway Debian 12 root.
deb=$(bash contrib/package/build-deb.sh | tail -n 1)
lintian --fail-on error,warning --tag-display-limit 0 "$deb"
# It chroots and makes namespaces, so it needs root.
if [[ $(id -u) -eq 0 ]]; then
    bash contrib/package/test-deb.sh "$deb"
else
    sudo bash contrib/package/test-deb.sh "$deb"
fi

# Fuzz what a caller controls before authorization (framing, JSON, JSON-RPC, params,
# HTTP request line), with libFuzzer and AddressSanitizer; a crash or a broken
# invariant fails the run. TIMMY_FUZZ_SECONDS per target (default 50; 0 skips).
fuzz_seconds=${TIMMY_FUZZ_SECONDS:-50}
if [ "$fuzz_seconds" -gt 0 ]; then
    bash contrib/fuzz/run.sh "$fuzz_seconds"
fi
