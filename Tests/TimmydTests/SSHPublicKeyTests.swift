import Foundation
import Testing
@testable import timmyd

@Suite struct SSHPublicKeyTests {
    /// Generates a key with ssh-keygen and returns its .pub line and `ssh-keygen -l` fingerprint.
    private func sshKeygenKey(_ options: [String]) throws -> (line: String, fingerprint: String) {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let key = dir.file("id")
        try sshKeygenOK(["-q", "-N", "", "-C", "buyer@laptop", "-f", key] + options)
        let line = try readText(key + ".pub")
        let listed = try sshKeygenOK(["-l", "-E", "sha256", "-f", key + ".pub"])
        let fingerprint = String(try #require(listed.split(separator: " ").dropFirst().first))
        return (line, fingerprint)
    }

    private func keyBlob(of line: String) throws -> [UInt8] {
        try #require(Base64.decode(String(line.split(separator: " ")[1])))
    }

    private func problem(_ line: String) -> KeyError? {
        do {
            _ = try SSHPublicKey(parsing: line)
            return nil
        } catch let error as KeyError {
            return error
        } catch {
            return nil
        }
    }

    @Test(arguments: [
        ["-t", "ed25519"],
        ["-t", "rsa", "-b", "3072"],
        ["-t", "ecdsa"],
        ["-t", "ecdsa", "-b", "384"],
        ["-t", "ecdsa", "-b", "521"],
    ])
    func acceptsSSHKeygenKeysWithMatchingFingerprint(_ options: [String]) throws {
        let (line, fingerprint) = try sshKeygenKey(options)
        let key = try SSHPublicKey(parsing: line)  // .pub line with its trailing newline
        #expect(key.fingerprint == fingerprint)
        #expect(key.comment == "buyer@laptop")
        #expect(key.line == line.trimmingCharacters(in: .newlines))
    }

    @Test func acceptsSecurityKeyEd25519() throws {
        var writer = SSHWireWriter()
        writer.string("sk-ssh-ed25519@openssh.com")
        writer.string(CryptoRandom.bytes(32))
        writer.string("ssh:")
        let line = "sk-ssh-ed25519@openssh.com " + Base64.encode(writer.bytes) + " yubikey"
        let key = try SSHPublicKey(parsing: line)
        #expect(key.type == "sk-ssh-ed25519@openssh.com")
        #expect(key.line == line)
    }

    @Test func toleratesSurroundingBlanksAndMissingComment() throws {
        let pair = try SSHKeyPair.generate(.ed25519, comment: "")
        let key = try SSHPublicKey(parsing: "  \t" + pair.publicKey + " \r\n")
        #expect(key.comment == nil)
        #expect(key.line == pair.publicKey)
    }

    @Test func rejectsGarbageBase64() {
        #expect(problem("ssh-ed25519 !!!not*base64 c") == .invalidBase64)
        #expect(problem("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI") == .invalidBase64)  // bad length
        #expect(problem("ssh-ed25519") == .publicKeyMissingBlob)
        #expect(problem("   ") == .publicKeyEmpty)
    }

    @Test func rejectsTruncatedBlobs() throws {
        let pair = try SSHKeyPair.generate(.ed25519, comment: "c")
        let blob = try keyBlob(of: pair.publicKey)
        for cut in [1, 2, 5, 16, 32, blob.count - 3] {
            let line = "ssh-ed25519 " + Base64.encode(Array(blob.dropLast(cut)))
            guard case .malformedKeyBlob = problem(line) else {
                Issue.record("blob cut by \(cut) bytes was not refused as malformed: \(String(describing: problem(line)))")
                continue
            }
        }
        let rsa = try sshKeygenKey(["-t", "rsa", "-b", "2048"])
        let rsaBlob = try keyBlob(of: rsa.line)
        let truncated = "ssh-rsa " + Base64.encode(Array(rsaBlob.dropLast(10)))
        guard case .malformedKeyBlob = problem(truncated) else {
            Issue.record("truncated RSA blob not refused as malformed")
            return
        }
    }

    @Test func rejectsTrailingBytesInBlob() throws {
        let pair = try SSHKeyPair.generate(.ed25519, comment: "c")
        let line = "ssh-ed25519 " + Base64.encode(try keyBlob(of: pair.publicKey) + [0])
        guard case .malformedKeyBlob = problem(line) else {
            Issue.record("trailing byte accepted")
            return
        }
    }

    @Test func rejectsTypeBlobMismatch() throws {
        let pair = try SSHKeyPair.generate(.ed25519, comment: "c")
        let line = "ssh-rsa " + String(pair.publicKey.split(separator: " ")[1])
        #expect(problem(line) == .keyTypeMismatch(line: "ssh-rsa", blob: "ssh-ed25519"))
        let ecdsa = try sshKeygenKey(["-t", "ecdsa"])
        let relabelled = "ecdsa-sha2-nistp384 " + String(ecdsa.line.split(separator: " ")[1])
        #expect(problem(relabelled) == .keyTypeMismatch(line: "ecdsa-sha2-nistp384", blob: "ecdsa-sha2-nistp256"))
    }

    @Test func rejectsEd25519KeyOfWrongLength() {
        var writer = SSHWireWriter()
        writer.string("ssh-ed25519")
        writer.string(CryptoRandom.bytes(31))
        #expect(problem("ssh-ed25519 " + Base64.encode(writer.bytes)) == .malformedKeyBlob("Ed25519 key is 31 bytes, expected 32"))
    }

    @Test func rejectsECDSAPointNotOnCurve() throws {
        var writer = SSHWireWriter()
        writer.string("ecdsa-sha2-nistp256")
        writer.string("nistp256")
        writer.string([0x04] + [UInt8](repeating: 1, count: 64))
        #expect(problem("ecdsa-sha2-nistp256 " + Base64.encode(writer.bytes)) == .malformedKeyBlob("ECDSA nistp256 point is not on the curve"))
    }

    @Test func rejects1024BitRSAKey() throws {
        let small = try sshKeygenKey(["-t", "rsa", "-b", "1024"])
        let error = try #require(problem(small.line))
        #expect(error == .rsaKeyTooSmall(bits: 1024, minimum: 2048))
        #expect(error.description.contains("1024 bits"))
    }

    @Test func accepts2048BitRSAKey() throws {
        let key = try sshKeygenKey(["-t", "rsa", "-b", "2048"])
        #expect(try SSHPublicKey(parsing: key.line).fingerprint == key.fingerprint)
    }

    @Test func rejectsTwoLines() throws {
        let a = try SSHKeyPair.generate(.ed25519, comment: "a").publicKey
        let b = try SSHKeyPair.generate(.ed25519, comment: "b").publicKey
        #expect(problem(a + "\n" + b) == .publicKeyMultipleLines)
        #expect(problem(a + "\n" + b + "\n") == .publicKeyMultipleLines)
        #expect(problem(a + "\r" + b) == .publicKeyMultipleLines)
        #expect(problem(a + "\n\n") == .publicKeyMultipleLines)
    }

    @Test func rejectsControlCharacters() throws {
        let pair = try SSHKeyPair.generate(.ed25519, comment: "")
        #expect(problem(pair.publicKey + " evil\u{1b}[2Jcomment") == .publicKeyControlCharacter(offset: pair.publicKey.utf8.count + 5))
        #expect(problem(pair.publicKey + " nul\u{0}") != nil)
        #expect(problem(pair.publicKey + " del\u{7f}") != nil)
        #expect(problem("ssh-ed25519 AAAA é\u{85}") == .publicKeyControlCharacter(offset: 19))
    }

    @Test func rejects100KBStringWithoutEchoingIt() {
        let huge = "ssh-ed25519 " + String(repeating: "A", count: 100_000)
        let error = problem(huge)
        #expect(error == .publicKeyTooLong(bytes: huge.utf8.count, limit: 16384))
        #expect((error?.description.count ?? .max) < 200)
    }

    @Test func rejectsUnsupportedTypesWithShortSanitisedMessage() throws {
        #expect(problem("ssh-dss AAAAB3NzaC1kc3MAAACBAP") == .unsupportedKeyType("ssh-dss"))
        #expect(problem("from=\"10.0.0.1\" ssh-ed25519 AAAA") != nil)
        let longType = String(repeating: "x", count: 5000) + " AAAA"
        let error = try #require(problem(longType))
        #expect(error.description.count < 400)
        let weird = try #require(problem("ssh-ëd25519 AAAA"))
        #expect(weird == .unsupportedKeyType("ssh-?d25519"))
    }
}
