#!/usr/bin/env bash
# Installs what building and running timmyd needs on Debian 12, except the Swift
# toolchain itself, which Debian does not package (see https://www.swift.org/install/linux/).
# Run as root, or as a user who may use sudo. Safe to run again: it only installs
# what is missing, and does nothing at all when everything is there.
set -euo pipefail

packages=(
    # Headers and pkg-config files for the system libraries Package.swift links.
    libsqlite3-dev libcurl4-openssl-dev libssl-dev libjansson-dev libqrencode-dev pkg-config
    # ssh-keygen checks a claimed key, socat talks to the socket by hand, the
    # scripts in contrib/ and the node's rendered user_data are linted with ShellCheck
    # (the tests run it), util-linux has setsid and flock.
    openssh-client socat shellcheck util-linux
    # The tests' fake servers are Python; the integration tests start a real LNbits
    # with ../shared/lnbits/lnbits-up.sh, which needs curl and makes a venv (python3-venv)
    # that it fills from PyPI on first use (~30 s, then cached under ~/.cache/timmy-lnbits).
    python3 python3-venv curl
    # The node's setup script builds its progress reports with jq; the tests run that code.
    jq
    # The web front: the tests start a real nginx (unprivileged, on a loopback port;
    # the package's own service, if the machine starts it, is not used), and check that
    # the invoice QR codes scan: rsvg-convert draws the SVG, zbarimg reads it back.
    nginx zbar-tools librsvg2-bin
    # The buyer page's test drives headless Chromium through Selenium, Debian's own
    # builds (Debian's python3, not a venv, imports selenium).
    chromium chromium-driver python3-selenium
    # The simulated droplet (Tests/NodeSim) runs a node's user_data as root in a Debian
    # root filesystem made by mmdebstrap, on a loop device (mount has losetup), in a network
    # namespace (iproute2); it makes LND's certificate with openssl, checks the compose file
    # with python3-yaml and python3-jsonschema and the node's units with systemd-analyze.
    mmdebstrap mount iproute2 openssl python3-yaml python3-jsonschema systemd
    # METRICS_LISTEN: a real Prometheus (its own config, storage and loopback port; the
    # package's service, if the machine starts it, is not used) scrapes a test daemon, and
    # promtool lints the exposition text.
    prometheus
    # The Debian package: dpkg-deb and dpkg-shlibdeps (dpkg-dev) build it, lintian
    # checks it; mmdebstrap (above) makes the throwaway Debian 12 root its install test uses.
    dpkg-dev lintian
)

if [[ $(id -u) -eq 0 ]]; then
    as_root() { "$@"; }
elif command -v sudo >/dev/null; then
    as_root() { sudo "$@"; }
else
    echo "setup-debian: run this as root (sudo is not installed)" >&2
    exit 1
fi
command -v apt-get >/dev/null || {
    echo "setup-debian: apt-get not found; this script is for Debian 12" >&2
    exit 1
}

# apt and debconf print notes even when asked to be quiet; show them only on failure.
quietly() {
    local output
    if ! output=$("$@" 2>&1); then
        printf '%s\n' "$output" >&2
        return 1
    fi
}

missing=()
for package in "${packages[@]}"; do
    # "install ok installed" is dpkg's word for a fully installed package.
    if [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) != "install ok installed" ]]; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "setup-debian: all packages are already installed"
else
    echo "setup-debian: installing ${missing[*]}"
    # `env` sets the variable on the root side; sudo would drop it from our environment.
    quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The OpenAPI test checks GET /api/openapi.json with openapi-spec-validator (PyPI, not in
# Debian 12), in a venv of the user who runs the tests: ~/.cache/timmy-openapi/venv
# (TIMMY_OPENAPI_VENV overrides). Filled once from PyPI (~10 s), then only checked.
openapi_venv=${TIMMY_OPENAPI_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/timmy-openapi/venv}
openapi_validator=0.9.0
if ! "$openapi_venv/bin/python3" -c "import importlib.metadata as m, sys; sys.exit(m.version('openapi-spec-validator') != '$openapi_validator')" 2>/dev/null; then
    echo "setup-debian: installing openapi-spec-validator $openapi_validator into $openapi_venv"
    quietly python3 -m venv "$openapi_venv"
    quietly "$openapi_venv/bin/pip" install -q "openapi-spec-validator==$openapi_validator"
fi

if ! command -v swift >/dev/null || ! swift --version >/dev/null 2>&1; then
    cat >&2 <<'EOF'
setup-debian: the Swift toolchain is missing (no working `swift` on PATH).
Debian's packages do not provide it: install Swift 6 for Debian 12 from
https://www.swift.org/install/linux/ (swiftly, or the tarball), then run
`swift --version` to check and `swift build` in the repository.
EOF
    exit 1
fi
echo "setup-debian: $(swift --version 2>/dev/null | head -n 1)"
