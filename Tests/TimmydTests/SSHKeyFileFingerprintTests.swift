import Protocol
import Testing
@testable import timmyd

/// The fingerprint a client computes from the key file it saved (`Protocol`'s plain-Swift
/// SHA-256 and key parsing) must equal the one timmyd stores and `ssh-keygen -l` prints.
@Suite struct SSHKeyFileFingerprintTests {
    @Test(arguments: SSHKeyAlgorithm.allCases)
    func savedKeyFileFingerprintsAsTheDaemonDoes(_ algorithm: SSHKeyAlgorithm) throws {
        let pair = try SSHKeyPair.generate(algorithm, comment: "buyer@timmy")
        #expect(SSHKeyFileFingerprint.of(privateKeyFile: pair.privateKey) == pair.fingerprint)
        #expect(SSHKeyFileFingerprint.of(publicKeyLine: pair.publicKey) == pair.fingerprint)
        // Windows line ends and surrounding blank lines do not change what the file holds.
        let crlf = "\n" + pair.privateKey.split(separator: "\n").joined(separator: "\r\n") + "\r\n\n"
        #expect(SSHKeyFileFingerprint.of(privateKeyFile: crlf) == pair.fingerprint)
    }

    /// Key files made by ssh-keygen itself (OpenSSH format, and RSA as PKCS#1 PEM).
    @Test(arguments: [["-t", "ed25519"], ["-t", "rsa", "-b", "2048", "-m", "PEM"]])
    func sshKeygenFilesFingerprintAsSSHKeygenPrintsThem(_ type: [String]) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let key = dir.file("key")
        _ = try sshKeygenOK(["-q", "-N", "", "-C", "c", "-f", key] + type)
        let listed = try sshKeygenOK(["-l", "-E", "sha256", "-f", key]).split(separator: " ")
        #expect(SSHKeyFileFingerprint.of(privateKeyFile: try readText(key)) == listed.dropFirst().first.map(String.init))
    }

    @Test func aDamagedOrForeignFileHasNoFingerprint() throws {
        let pair = try SSHKeyPair.generate(.ed25519, comment: "c")
        var lines = pair.privateKey.split(separator: "\n").map(String.init)
        #expect(SSHKeyFileFingerprint.of(privateKeyFile: lines.dropLast().joined(separator: "\n")) == nil, "no footer")
        lines[1] = "!!!!" + lines[1].dropFirst(4)
        #expect(SSHKeyFileFingerprint.of(privateKeyFile: lines.joined(separator: "\n")) == nil, "not base64")
        #expect(SSHKeyFileFingerprint.of(privateKeyFile: "") == nil)
        #expect(SSHKeyFileFingerprint.of(privateKeyFile: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n") == nil)
        #expect(SSHKeyFileFingerprint.of(privateKeyFile: "-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n") == nil)
    }

    /// Every padding edge (55, 56, 63, 64, 65 bytes) and a few blocks, against OpenSSL.
    @Test(arguments: [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 1000])
    func sha256MatchesOpenSSL(_ length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let expected = "SHA256:" + Base64.encode(SHA256Digest.hash(bytes)).filter { $0 != "=" }
        #expect(SSHKeyFileFingerprint.of(publicKeyBlob: bytes) == expected)
    }
}
