import Testing
@testable import timmyd

/// Node images an operator may choose (`NODE_*_IMAGE`): Docker references with a tag or a
/// digest, nothing a shell or YAML file could read as more than a name.
@Suite struct NodeImagesTests {
    static let digest = "sha256:" + String(repeating: "0123456789abcdef", count: 4)

    @Test(arguments: [
        "bitcoin/bitcoin:31.1", "lightninglabs/lnd:v0.21.3-beta", "lnbits/lnbits:v1.6.2", "lnbits/lnbits:v1.6.2@\(digest)",
        "lightninglabs/lnd@\(digest)", "registry.example.com/team/bitcoin:31.1", "registry.example.com:5000/bitcoin:31.1",
        "localhost/bitcoin:dev", "ghcr.io/some_org/bit-coin__core:31.1_rc1", "a:b", "docker.io/library/debian:12",
    ])
    func validReferencesAreAccepted(_ reference: String) {
        #expect(NodeImages.isValidReference(reference), "\(reference)")
    }

    @Test(arguments: [
        "", "bitcoin/bitcoin", "bitcoin/bitcoin:", "Bitcoin/bitcoin:31.1", "bitcoin/bitcoin:31.1 ", " bitcoin/bitcoin:31.1",
        "bitcoin/bitcoin:31.1\n", "bitcoin/bitcoin:$(reboot)", "bitcoin/bitcoin:`id`", "bitcoin/bitcoin:a'b", "bitcoin/bitcoin:a\"b",
        "bitcoin/bitcoin:31.1;rm", "bitcoin/bitcoin:.31", "bitcoin/bitcoin:-31", "bitcoin//bitcoin:31.1", "/bitcoin:31.1",
        "bitcoin/bitcoin:31.1@sha256:abc", "bitcoin/bitcoin@sha512:" + String(repeating: "a", count: 64),
        "bitcoin/bitcoin@sha256:" + String(repeating: "A", count: 64), "bitcoin/-bitcoin:31.1", "bitcoin/bitcoin-:31.1",
        "bitcoin/bit...coin:31.1", "registry.example.com:port/bitcoin:31.1", "bitcoin/bitcoin:" + String(repeating: "a", count: 129),
        "bitcoin/bitcoin:31.1#x", "bitcoin/bitcoin:31.1\u{00e9}",
    ])
    func invalidReferencesAreRefused(_ reference: String) {
        #expect(!NodeImages.isValidReference(reference), "\(reference.debugDescription)")
    }

    @Test func pinnedImagesAreValidAndCarryATag() {
        for (setting, image) in NodeImages.pinned.bySetting {
            #expect(NodeImages.isValidReference(image), "\(setting)")
            #expect(!image.hasSuffix(":latest"))
        }
    }

    @Test func settingsReplaceThePinnedImages() throws {
        let lnd = "lightninglabs/lnd:v0.21.3-beta@\(Self.digest)"
        let configuration = try ConfigurationLoader(environment: ["NODE_LND_IMAGE": lnd], envFile: nil)
            .load(socketPath: nil, stateDirectory: nil, requireReal: false)
        #expect(configuration.nodeImages == NodeImages(bitcoin: NodeImageVersions.bitcoin, lnd: lnd, lnbits: NodeImageVersions.lnbits))
        let defaults = try ConfigurationLoader(environment: [:], envFile: nil).load(socketPath: nil, stateDirectory: nil, requireReal: false)
        #expect(defaults.nodeImages == .pinned)
    }

    @Test(arguments: ["NODE_BITCOIN_IMAGE", "NODE_LND_IMAGE", "NODE_LNBITS_IMAGE"])
    func aBadImageSettingIsRefusedByName(_ setting: String) throws {
        for value in ["lnbits/lnbits", "lnbits/lnbits:v1; reboot", "lnbits/lnbits@sha256:short"] {
            do {
                _ = try ConfigurationLoader(environment: [setting: value], envFile: nil)
                    .load(socketPath: nil, stateDirectory: nil, requireReal: false)
                Issue.record("\(setting)=\(value) was accepted")
            } catch let error as ConfigurationError {
                #expect(error.description.hasPrefix("\(setting) must be repository[:tag][@sha256:<64 hex digits>]"), "\(error)")
            }
        }
    }

    /// A real job's droplet request carries the configured images, not only the preview.
    @Test func aJobsUserDataCarriesTheConfiguredImages() throws {
        let fixture = try ProvisioningFixture()
        var provider = fixture.provider(ScriptedTransport([]), SleepLog())
        provider.nodeImages.lnbits = "lnbits/lnbits:v1.6.2@\(Self.digest)"
        let request = try provider.dropletRequest(for: fixture.job)
        #expect(request.userData.contains("\nLNBITS_IMAGE='lnbits/lnbits:v1.6.2@\(Self.digest)'\n"))
        #expect(request.userData.contains("\nLND_IMAGE='\(NodeImageVersions.lnd)'\n"))
    }

    @Test func thePreviewShowsTheConfiguredImages() throws {
        let images = NodeImages(bitcoin: "bitcoin/bitcoin:31.1@\(Self.digest)", lnd: NodeImageVersions.lnd, lnbits: NodeImageVersions.lnbits)
        let script = try UserDataService.preview(volumeGB: 0, tailscale: false, images: images)
        #expect(script.contains("\nBITCOIN_IMAGE='bitcoin/bitcoin:31.1@\(Self.digest)'\n"))
    }
}
