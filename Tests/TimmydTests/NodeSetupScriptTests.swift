import Foundation
import Protocol
import Testing
@testable import timmyd

/// The defects an outside review found in the node's setup script, each pinned on the
/// rendered text (or on the script's own functions, run in bash), so none comes back.
@Suite struct NodeSetupScriptTests {
    static let plain = NodeUserDataInputs(resourceName: "timmy-0123abcd", volumeSizeGB: 0)
    static let withVolume = NodeUserDataInputs(
        resourceName: "timmy-89abcdef", volumeSizeGB: 100, tailscaleAuthKey: UserDataRendererTests.key, tailscaleTags: ["tag:timmy-node"])

    static func script(_ inputs: NodeUserDataInputs = withVolume) throws -> String { try UserDataRenderer.render(inputs) }

    /// The text between `start` and the first `end` after it.
    static func section(_ text: String, from start: String, to end: String) throws -> Substring {
        let from = try #require(text.range(of: start), "no \(start)")
        let to = try #require(text.range(of: end, range: from.upperBound..<text.endIndex), "no \(end) after \(start)")
        return text[from.lowerBound..<to.lowerBound]
    }

    /// Where `needle` first is, for checking what runs before what.
    static func offset(_ text: String, _ needle: String) throws -> String.Index {
        try #require(text.range(of: needle), "no \(needle)").lowerBound
    }

    static func compose(_ script: String) throws -> Substring {
        try section(script, from: "cat >\"$NODE_DIR/docker-compose.yml\" <<COMPOSE\n", to: "\nCOMPOSE\n")
    }

    static func lnbitsEnv(_ script: String) throws -> Substring {
        try section(script, from: "cat >\"$LNBITS_DIR/lnbits.env\" <<LNBITS\n", to: "\nLNBITS\n")
    }

    static func lndConf(_ script: String) throws -> Substring {
        try section(script, from: "cat >\"$LND_DIR/lnd.conf\" <<LND\n", to: "\nLND\n")
    }

    // 1. Whoever called LNbits' first-install endpoint first became its super user.
    @Test func lnbitsFirstInstallIsTokenProtectedAndFinishedByTheSetup() throws {
        let script = try Self.script()
        let env = try Self.lnbitsEnv(script)
        #expect(env.contains("\nFIRST_INSTALL_TOKEN=$LNBITS_FIRST_INSTALL_TOKEN\n"))
        #expect(env.hasSuffix("\nAUTH_SECRET_KEY=$LNBITS_AUTH_SECRET_KEY"))
        // The token and the admin password are made on the node, like every other secret.
        #expect(script.contains("for name in BITCOIN_RPC_PASSWORD LND_WALLET_PASSWORD LNBITS_ADMIN_PASSWORD LNBITS_FIRST_INSTALL_TOKEN LNBITS_AUTH_SECRET_KEY; do"))
        #expect(script.contains(#"printf '%s=%s\n' "$name" "$(random_secret)" >>"$SECRETS_FILE""#))
        // LNbits' own API: PUT /api/v1/auth/first_install {username, password, password_repeat, first_install_token}.
        #expect(script.contains("'{username: $user, password: $password, password_repeat: $password, first_install_token: $token}'"))
        #expect(script.contains("-X PUT -H 'Content-Type: application/json'"))
        #expect(script.contains("--data-binary @- \"$LNBITS_LOCAL/api/v1/auth/first_install\""))
        // After LNbits is started and answers; the login goes to the credentials file.
        let start = try Self.offset(script, "docker compose up -d lnbits\n")
        #expect(try Self.offset(script, "retry 60 5 lnbits_answers") > start)
        #expect(try Self.offset(script, "/api/v1/auth/first_install") > start)
        #expect(script.contains("note \"LNbits admin password\" \"$LNBITS_ADMIN_PASSWORD\""))
        #expect(script.contains("fail \"LNbits' first install answered HTTP $install_status\""))
        #expect(!script.contains("create the admin account"))
    }

    // 2. LNbits started before LND had unlocked its wallet fell back to VoidWallet.
    @Test func lnbitsStartsOnlyOnceLNDSaysItIsActive() throws {
        let script = try Self.script()
        let compose = try Self.compose(script)
        let lnbits = try Self.section(String(compose), from: "  lnbits:\n", to: "    ports:\n")
        #expect(lnbits.contains("    depends_on:\n      lnd:\n        condition: service_healthy\n"))
        let lnd = try Self.section(String(compose), from: "  lnd:\n", to: "  lnbits:\n")
        // The LND image has wget (its verification script needs it) but no curl.
        #expect(lnd.contains(#"test: ["CMD-SHELL", "wget -qO- --ca-certificate=/root/.lnd/tls/tls.cert https://127.0.0.1:8080/v1/state | grep -Eq 'RPC_ACTIVE|SERVER_ACTIVE'"]"#))
        #expect(lnd.contains("start_period: 60m"))
        let env = try Self.lnbitsEnv(script)
        let retries = try #require(env.split(separator: "\n").first { $0.hasPrefix("FUNDING_SOURCE_MAX_RETRIES=") })
        #expect((Int(retries.dropFirst("FUNDING_SOURCE_MAX_RETRIES=".count)) ?? 0) >= 30)
        // Every boot: Docker's own restart of LNbits is undone, and compose starts it after LND.
        let unit = try Self.section(script, from: "cat >/etc/systemd/system/timmy-node.service <<UNIT\n", to: "\nUNIT\n")
        let stop = try Self.offset(String(unit), "ExecStartPre=-/usr/bin/docker compose stop lnbits\n")
        #expect(try Self.offset(String(unit), "ExecStart=/usr/bin/docker compose up -d") > stop)
        #expect(unit.contains("TimeoutStartSec="))
    }

    // 3. A renewed LND certificate is a new file, which a single-file bind mount never shows.
    @Test func lnbitsMountsTheFolderOfLNDsCertificateAndLNDRenewsIt() throws {
        let script = try Self.script()
        #expect(!script.contains("tls.cert:/lnd/tls.cert"))
        let compose = try Self.compose(script)
        #expect(compose.contains("        source: $LND_TLS_DIR\n        target: /lnd\n        read_only: true\n"))
        #expect(script.contains("\nLND_TLS_DIR=$LND_DIR/tls\n"))
        let lndConf = try Self.lndConf(script)
        for line in ["tlsautorefresh=true", "tlscertpath=/root/.lnd/tls/tls.cert", "tlskeypath=/root/.lnd/tls.key"] {
            #expect(lndConf.contains("\n\(line)\n"), "\(line)")
        }
        // Only the certificate is in the folder LNbits sees, not LND's key.
        #expect(!lndConf.contains("tlskeypath=/root/.lnd/tls/"))
        #expect(script.contains("\nLND_REST_CERT=/lnd/tls.cert\n"))
    }

    // 4. LND's binaries are checked against the signed release before LND ever starts.
    @Test func lndIsVerifiedAgainstItsSignedReleaseBeforeFirstStart() throws {
        let script = try Self.script()
        let verify = try Self.offset(script, "docker run --rm --entrypoint /verify-install.sh \"$LND_IMAGE\" \"$lnd_version\"")
        #expect(try Self.offset(script, "docker compose up -d lnd\n") > verify)
        #expect(try Self.offset(script, "docker compose up -d bitcoind\n") > verify)
        #expect(script.contains("lnd_version=v$(docker run --rm --entrypoint lnd \"$LND_IMAGE\" --version | awk '{print $3}')"))
        #expect(script.contains("fail \"LND in $LND_IMAGE is not the signed $lnd_version release\""))
        let images = try Self.section(script, from: "\nbegin_step images\n", to: "\nbegin_step bitcoind\n")
        #expect(images.contains("verify-install.sh"))
    }

    @Test func operatorImagesReachTheScript() throws {
        let digest = String(repeating: "ab", count: 32)
        var inputs = Self.plain
        inputs.images = NodeImages(
            bitcoin: "registry.example.com:5000/btc/core:31.1@sha256:\(digest)", lnd: "lightninglabs/lnd@sha256:\(digest)",
            lnbits: "lnbits/lnbits:v1.6.2")
        let script = try UserDataRenderer.render(inputs)
        #expect(script.contains("\nBITCOIN_IMAGE='registry.example.com:5000/btc/core:31.1@sha256:\(digest)'\n"))
        #expect(script.contains("\nLND_IMAGE='lightninglabs/lnd@sha256:\(digest)'\n"))
        #expect(script.contains("    image: $LND_IMAGE\n"))
        inputs.images.lnd = "lightninglabs/lnd"
        #expect(throws: UserDataError(field: "NODE_LND_IMAGE", message: "must be \(NodeImages.referenceForm)")) {
            try UserDataRenderer.render(inputs)
        }
    }

    // 5. With `nofail`, a volume that mounts late let bitcoind start on the root disk.
    @Test func dockerWaitsForTheVolumeAndBindMountsNeverCreateMissingFolders() throws {
        let script = try Self.script()
        let dropIn = try Self.section(script, from: "if [ \"$VOLUME_MOUNTED\" = 1 ]; then\n", to: "\nfi\n")
        #expect(dropIn.contains(#"printf '[Unit]\nRequiresMountsFor=%s\n' "$DATA_DIR" >/etc/systemd/system/docker.service.d/timmy-data-mount.conf"#))
        #expect(dropIn.contains("systemctl daemon-reload"))
        let compose = String(try Self.compose(script))
        let binds = compose.components(separatedBy: "- type: bind\n").count - 1
        #expect(binds == 4)
        #expect(compose.components(separatedBy: "bind:\n          create_host_path: false\n").count - 1 == binds)
        // No short-form volume (`- /host:/container`) is left.
        #expect(!compose.split(separator: "\n").contains { $0.hasPrefix("      - $") })
    }

    // 6. Docker Hub's anonymous limit (10 pulls an hour) failed the setup after a minute.
    @Test func pullLimitIsWaitedOutForUpToAnHour() throws {
        let result = try Self.runPull(failures: 20, error: "toomanyrequests: You have reached your unauthenticated pull rate limit")
        #expect(result.status != 0)
        #expect(result.stdout.contains("slept 60 120 240 480 900 900 900\n"), "\(result.stdout)")
        #expect(result.stdout.contains("pulls 8\n"))
        let recovers = try Self.runPull(failures: 3, error: "toomanyrequests: rate limit")
        #expect(recovers.status == 0)
        #expect(recovers.stdout.contains("slept 60 120 240\n"), "\(recovers.stdout)")
    }

    @Test func otherPullErrorsKeepAShortRetry() throws {
        let result = try Self.runPull(failures: 20, error: "Error response from daemon: manifest unknown")
        #expect(result.status != 0)
        #expect(result.stdout.contains("slept 15 15 15 15\n"), "\(result.stdout)")
        #expect(result.stdout.contains("pulls 5\n"))
    }

    /// Runs the script's `docker_pull` with `docker` failing `failures` times with `error`,
    /// and `sleep` only counting.
    static func runPull(failures: Int, error: String) throws -> ProcessResult {
        let program = """
            set -Eeuo pipefail
            REPORT_URL=""
            CURRENT_STEP=images
            \(NodeUserData.setupFunctions)
            count=$(mktemp)
            slept=""
            # Counted in a file: docker_pull runs docker in a command substitution (a subshell).
            docker() {
              local pulls=$(($(wc -l <"$count") + 1))
              echo >>"$count"
              if ((pulls <= \(failures))); then echo \(UserDataRenderer.shellQuote(error)) >&2; return 1; fi
            }
            sleep() { slept+=" $1"; }
            status=0
            docker_pull lightninglabs/lnd:v0.21.3-beta >/dev/null || status=$?
            echo "slept${slept}"
            echo "pulls $(wc -l <"$count")"
            rm -f "$count"
            exit "$status"
            """
        return try run("/bin/bash", ["-c", program])
    }

    // 7. `wallet-unlock-allow-create` stayed: a lost wallet file would have been silently replaced.
    @Test func walletCreationIsAllowedOnlyUntilTheWalletExists() throws {
        let script = try Self.script()
        let lndConf = try Self.lndConf(script)
        #expect(lndConf.contains("\nwallet-unlock-allow-create=true\n"))
        let removal = "\nsed -i '/^wallet-unlock-allow-create=/d' \"$LND_DIR/lnd.conf\"\n"
        // At the top level after the wallet block, so re-runs with an existing wallet remove it too.
        #expect(try Self.offset(script, removal) > Self.offset(script, "\"$LND_REST/v1/initwallet\""))
        let walletBlock = try Self.section(script, from: "if [ \"$wallet_state\" = NON_EXISTING ]; then\n", to: "\nfi\n")
        #expect(!walletBlock.contains("wallet-unlock-allow-create"))
        #expect(try Self.offset(script, removal) < Self.offset(script, "\nbegin_step lnbits\n"))
    }

    // 8. Failures were silent.
    @Test func failuresLeaveAMarkAndTheScriptCanBeRunAgain() throws {
        let script = try Self.script()
        #expect(script.contains("\nset -Eeuo pipefail\n"))
        #expect(script.contains("\ntrap 'on_error $? $LINENO' ERR\n"))
        #expect(NodeUserData.setupFunctions.contains(">\"$NODE_DIR/setup-failed\""))
        // A success removes a failure left by an earlier run.
        #expect(try Self.offset(script, "rm -f \"$NODE_DIR/setup-failed\"") < Self.offset(script, ">\"$NODE_DIR/setup-complete\""))
        // The script keeps itself where the credentials file says a re-run is.
        #expect(script.contains("install -m 0700 \"$0\" \"$NODE_DIR/setup.sh\""))
        #expect(try Self.offset(script, "install -m 0700 \"$0\"") < Self.offset(script, "\nbegin_step packages\n"))
        #expect(script.contains("note \"Re-run the setup\" \"bash $NODE_DIR/setup.sh"))
        // Explicit stops go through fail (whose own exit is the only one), never a bare exit.
        let exits = script.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("exit 1") }
        #expect(exits.count == 1, "\(exits)")
        #expect(NodeUserData.setupFunctions.contains("fail() {\n  setup_failed \"$*\"\n  exit 1\n}"))
    }

    // 9. ops.sh looked at /mnt/timmy-data whatever the node used; the channel backup was not mentioned.
    @Test func opsUsesTheRealDataFolderAndTheCredentialsNameTheChannelBackup() throws {
        #expect(!NodeUserData.opsScript.contains("/mnt/timmy-data"))
        #expect(NodeUserData.opsScript.contains("df -h / \"$DATA_DIR\""))
        #expect(NodeUserData.opsScript.contains(". ./node.env"))
        let script = try Self.script()
        #expect(script.contains(#"printf 'DATA_DIR=%s\n' "$DATA_DIR" >"$NODE_DIR/node.env""#))
        #expect(script.contains("note \"LND channel backup\" \"$LND_CHAIN_DIR/channel.backup - copy it off the node"))
        #expect(script.contains("\nLND_CHAIN_DIR=$LND_DIR/data/chain/bitcoin/mainnet\n"))
    }

    /// ops.sh run against a stand-in `df`: it names the folder the setup recorded.
    @Test func opsStatusShowsTheRecordedDataFolder() throws {
        let directory = try TemporaryDirectory()
        let bin = directory.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try writeFile(bin + "/df", "#!/bin/sh\necho \"df $*\"\n", mode: 0o755)
        try writeFile(bin + "/docker", "#!/bin/sh\nexit 0\n", mode: 0o755)
        let ops = NodeUserData.opsScript.replacing("cd /opt/timmy-node", with: "cd \(UserDataRenderer.shellQuote(directory.path))")
        try writeFile(directory.file("ops.sh"), ops + "\n", mode: 0o755)
        try writeFile(directory.file("node.env"), "DATA_DIR=/srv/chain-volume\n")
        let result = try run("/bin/bash", ["-c", "PATH=\(bin):/usr/bin:/bin bash \(directory.file("ops.sh")) status"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("df -h / /srv/chain-volume"), "\(result.stdout)")
    }

    // Found by running the whole script with stand-ins: a re-run must not drop the tailnet
    // port (a used auth key cannot join again), and compose needs LNbits' env file to exist
    // before it starts anything.
    @Test func reRunsKeepTheTailnetAddressAndComposeFindsItsEnvFile() throws {
        let script = try Self.script()
        let current = try Self.offset(script, "TS_IP=$(tailscale ip -4 2>/dev/null | head -n 1 || true)\nif [[ \"$TS_IP\" =~")
        #expect(try Self.offset(script, "tailscale \"${ts_args[@]}\"") > current)
        let envFile = try Self.offset(script, "touch \"$LNBITS_DIR/lnbits.env\"")
        #expect(try Self.offset(script, "docker compose up") > envFile)
    }

    // 10. No floor on disk size.
    @Test func tooSmallADiskFailsTheStorageStep() throws {
        let script = try Self.script()
        let storage = try Self.section(script, from: "\nbegin_step storage\n", to: "\nbegin_step images\n")
        #expect(script.contains("\nMIN_DATA_FREE_MIB=25600\n"))
        #expect(script.contains("\nMIN_ROOT_FREE_MIB=6144\n"))
        #expect(storage.contains("if ((data_free < MIN_DATA_FREE_MIB)); then\n    fail "))
        #expect(storage.contains("if ((root_free < MIN_ROOT_FREE_MIB)); then\n    fail "))
        // The README states the same floor.
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        #expect(try String(contentsOf: readme, encoding: .utf8).contains("25 GiB (25600 MiB) free"))
        // Checked before anything is pulled or started.
        #expect(try Self.offset(script, "data_free < MIN_DATA_FREE_MIB") < Self.offset(script, "docker_pull \"$image\""))
    }
}
