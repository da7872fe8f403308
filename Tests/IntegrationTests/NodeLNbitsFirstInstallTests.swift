import Foundation
import Protocol
import Testing

/// The node's setup finishes LNbits' first install itself, locked with a token it made:
/// its own code, cut from the script `timmyctl render-user-data` prints, run against a
/// real LNbits 1.6.2 (the pinned version) started with `FIRST_INSTALL_TOKEN`.
@Suite(.serialized)
struct NodeLNbitsFirstInstallTests {
    /// The text of `script` from `start` up to (not including) `end`.
    static func section(_ script: String, from start: String, to end: String) throws -> Substring {
        let from = try #require(script.range(of: start), "no \(start) in the script")
        let to = try #require(script.range(of: end, range: from.upperBound..<script.endIndex), "no \(end) in the script")
        return script[from.lowerBound..<to.lowerBound]
    }

    @Test func firstInstallNeedsTheNodesTokenAndIsRecognisedOnReRuns() throws {
        // Installs lnbits if needed (or skips where it cannot be); this test starts its own.
        let installer = try LNbitsServer.startOrSkip()
        installer.stop()
        let port = try LNbitsServer.freePort()

        let daemon = try DaemonHarness().start()
        let render = try daemon.ctl("render-user-data")
        #expect(render.status == 0, "\(render.stderr)")
        let helpers = try Self.section(render.stdout, from: "log() {", to: "\ntrap 'on_error")
        let firstInstall = try Self.section(render.stdout, from: "lnbits_answers() {", to: "\n# --- After a reboot")
        try String(helpers).write(toFile: daemon.folder + "/helpers.sh", atomically: true, encoding: .utf8)
        try String(firstInstall).write(toFile: daemon.folder + "/first-install.sh", atomically: true, encoding: .utf8)

        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache")
        let venv = environment["LNBITS_VENV"] ?? (cache + "/timmy-lnbits/venv")
        let driver = """
            set -Eeuo pipefail
            cd \(daemon.folder)
            VENV=\(venv)
            TOKEN=$(od -An -v -N24 -tx1 /dev/urandom | tr -d ' \\n')
            mkdir -p data ext node
            # LNbits serves its static files from ./lnbits, relative to where it runs.
            ln -sfn "$("$VENV/bin/python" -c 'import lnbits, os; print(os.path.dirname(lnbits.__file__))')" lnbits
            (exec env -i PATH="$VENV/bin:/usr/bin:/bin" HOME="$HOME" LANG=C.UTF-8 LNBITS_DATA_FOLDER="$PWD/data" \\
              LNBITS_EXTENSIONS_PATH="$PWD/ext" LNBITS_BACKEND_WALLET_CLASS=FakeWallet LNBITS_ADMIN_UI=true \\
              ENABLE_LOG_TO_FILE=false LNBITS_EXTENSIONS_MANIFESTS='[]' LNBITS_PRICE_AGGREGATOR_ENABLED=false \\
              LNBITS_EXCHANGE_RATE_PROVIDERS='[]' FUNDING_SOURCE_MAX_RETRIES=40 FIRST_INSTALL_TOKEN="$TOKEN" \\
              setsid "$VENV/bin/lnbits" --host 127.0.0.1 --port \(port) >lnbits.log 2>&1 </dev/null) &
            server=$!
            trap 'kill -KILL -- -$server 2>/dev/null || true' EXIT
            for _ in $(seq 120); do grep -q 'Uvicorn running' lnbits.log && break; sleep 0.5; done

            NODE_DIR=$PWD/node
            REPORT_URL=""
            CURRENT_STEP=lnbits
            SETUP_PID=$$
            CREDENTIALS_FILE=$PWD/credentials
            LNBITS_LOCAL=http://127.0.0.1:\(port)
            . ./helpers.sh
            LNBITS_ADMIN_PASSWORD=$(od -An -v -N24 -tx1 /dev/urandom | tr -d ' \\n')
            # attempt TOKEN: the setup's first-install code, in a subshell (its fail exits).
            attempt() { if (LNBITS_FIRST_INSTALL_TOKEN=$1; . ./first-install.sh) >>attempts.log 2>&1; then echo ok; else echo refused; fi; }
            : >"$CREDENTIALS_FILE"
            echo "anyone first: $(jq -n '{username: "thief", password: "12345678", password_repeat: "12345678"}' \\
              | curl -sS -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' --data-binary @- \\
                "$LNBITS_LOCAL/api/v1/auth/first_install")"
            echo "wrong token: $(attempt not-the-token)"
            echo "node token: $(attempt "$TOKEN")"
            grep -c "^LNbits admin password:  $LNBITS_ADMIN_PASSWORD$" "$CREDENTIALS_FILE"
            : >"$CREDENTIALS_FILE"
            echo "re-run: $(attempt "$TOKEN")"
            grep -c "^LNbits admin user:      admin$" "$CREDENTIALS_FILE"
            : >"$CREDENTIALS_FILE"
            LNBITS_ADMIN_PASSWORD=someone-elses-password
            echo "not ours: $(attempt "$TOKEN")"
            """
        let result = try LNbitsServer.spawnAndWait(
            "/bin/bash", ["-c", driver], environment: ["HOME": environment["HOME"] ?? NSHomeDirectory()])
        #expect(result.status == 0, "\(result.stderr)")
        // Without the token nobody takes the super user; with it, the setup does, and a
        // re-run knows the admin is its own only by logging in with its password.
        #expect(result.stdout == """
            anyone first: 401
            wrong token: refused
            node token: ok
            1
            re-run: ok
            1
            not ours: refused

            """, "\(result.stdout)\(result.stderr)")
    }
}
