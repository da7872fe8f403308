import Foundation
import Protocol
import Testing
@testable import timmyd

@Suite struct SSHKeyPairTests {
    /// Writes the pair to a temp dir as "key" (0600) and "key.pub", runs `body`, cleans up.
    private func withKeyFiles(_ pair: SSHKeyPair, _ body: (_ dir: TemporaryDirectory, _ key: String, _ pub: String) throws -> Void) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let key = dir.file("key"), pub = dir.file("key.pub")
        try writeFile(key, pair.privateKey, mode: 0o600)
        try writeFile(pub, pair.publicKey + "\n", mode: 0o644)
        try body(dir, key, pub)
    }

    @Test(arguments: SSHKeyAlgorithm.allCases)
    func sshKeygenDerivesOurPublicKeyFromOurPrivateKey(_ algorithm: SSHKeyAlgorithm) throws {
        let pair = try SSHKeyPair.generate(algorithm, comment: "buyer@timmy")
        try withKeyFiles(pair) { _, key, _ in
            let derived = try sshKeygenOK(["-y", "-f", key]).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(keyWithoutComment(derived) == keyWithoutComment(pair.publicKey))
        }
    }

    @Test(arguments: SSHKeyAlgorithm.allCases)
    func fingerprintMatchesSSHKeygen(_ algorithm: SSHKeyAlgorithm) throws {
        let pair = try SSHKeyPair.generate(algorithm, comment: "buyer@timmy")
        try withKeyFiles(pair) { _, _, pub in
            let listed = try sshKeygenOK(["-l", "-E", "sha256", "-f", pub])
            let fields = listed.split(separator: " ")
            #expect(fields.count >= 2)
            #expect(fields.dropFirst().first.map(String.init) == pair.fingerprint)
            #expect(fields.first == (algorithm == .ed25519 ? "256" : "4096"))
        }
    }

    @Test(arguments: SSHKeyAlgorithm.allCases)
    func signatureMadeWithPrivateKeyVerifiesAgainstPublicKey(_ algorithm: SSHKeyAlgorithm) throws {
        let pair = try SSHKeyPair.generate(algorithm, comment: "buyer@timmy")
        try withKeyFiles(pair) { dir, key, _ in
            let message = dir.file("message")
            let payload = Array("node sold to buyer\n".utf8)
            try writeFile(message, payload)
            try sshKeygenOK(["-Y", "sign", "-f", key, "-n", "file", message])
            let signature = message + ".sig"

            // Structurally valid signature by the key embedded in it…
            try sshKeygenOK(["-Y", "check-novalidate", "-n", "file", "-s", signature], stdin: payload)
            // …and that key is ours: verify against an allowed_signers naming only our public key.
            let allowed = dir.file("allowed_signers")
            try writeFile(allowed, "buyer@timmy " + keyWithoutComment(pair.publicKey) + "\n")
            try sshKeygenOK(["-Y", "verify", "-f", allowed, "-I", "buyer@timmy", "-n", "file", "-s", signature], stdin: payload)

            // A different message must not verify.
            let tampered = try run(sshKeygen, ["-Y", "verify", "-f", allowed, "-I", "buyer@timmy", "-n", "file", "-s", signature],
                                   stdin: Array("another message\n".utf8))
            #expect(tampered.status != 0)
        }
    }

    @Test func ed25519PrivateKeyIsOpenSSHFormatNotPKCS8() throws {
        let pair = try SSHKeyPair.generate(.ed25519, comment: "c")
        #expect(pair.privateKey.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----\n"))
        #expect(pair.privateKey.hasSuffix("-----END OPENSSH PRIVATE KEY-----\n"))
        #expect(!pair.privateKey.contains("BEGIN PRIVATE KEY"))
        let lines = pair.privateKey.split(separator: "\n")
        #expect(lines.dropFirst().dropLast().allSatisfy { $0.count <= 70 })
        #expect(lines.dropFirst().dropLast().dropLast().allSatisfy { $0.count == 70 })
    }

    @Test func ed25519PrivateKeyStructureFollowsOpenSSHKeyV1() throws {
        let pair = try SSHKeyPair.generate(.ed25519, comment: "buyer comment")
        let body = pair.privateKey.split(separator: "\n").dropFirst().dropLast().joined()
        let bytes = try #require(Base64.decode(body))
        #expect(Array(bytes.prefix(15)) == Array("openssh-key-v1\0".utf8))
        var reader = SSHWireReader(Array(bytes.dropFirst(15)))
        #expect(try reader.asciiString() == "none")
        #expect(try reader.asciiString() == "none")
        #expect(try reader.string() == [])
        #expect(try reader.uint32() == 1)
        let publicBlob = try reader.string()
        let section = try reader.string()
        try reader.expectEnd()

        #expect(SSHKeyFileFingerprint.of(publicKeyBlob: publicBlob) == pair.fingerprint)
        #expect(section.count % 8 == 0)
        var inner = SSHWireReader(section)
        let check1 = try inner.uint32(), check2 = try inner.uint32()
        #expect(check1 == check2)
        #expect(try inner.asciiString() == "ssh-ed25519")
        let pub = try inner.string()
        let priv = try inner.string()
        #expect(priv.count == 64 && Array(priv.suffix(32)) == pub)
        #expect(try inner.asciiString() == "buyer comment")
        var pad: UInt8 = 1
        while !inner.isAtEnd {
            #expect(try inner.bytes(1) == [pad])
            pad += 1
        }
    }

    @Test func rsaPrivateKeyIsPKCS1PEM() throws {
        let pair = try SSHKeyPair.generate(.rsa4096, comment: "c")
        #expect(pair.privateKey.hasPrefix("-----BEGIN RSA PRIVATE KEY-----\n"))
        #expect(pair.privateKey.hasSuffix("-----END RSA PRIVATE KEY-----\n"))
        #expect(pair.publicKey.hasPrefix("ssh-rsa AAAA"))
    }

    @Test(arguments: SSHKeyAlgorithm.allCases)
    func twoGeneratedKeysDiffer(_ algorithm: SSHKeyAlgorithm) throws {
        let a = try SSHKeyPair.generate(algorithm, comment: "same")
        let b = try SSHKeyPair.generate(algorithm, comment: "same")
        #expect(a.privateKey != b.privateKey)
        #expect(a.publicKey != b.publicKey)
        #expect(a.fingerprint != b.fingerprint)
    }

    @Test func publicKeyLineIsOneLineWithComment() throws {
        let pair = try SSHKeyPair.generate(.ed25519, comment: "buyer@example node-7")
        #expect(pair.publicKey.hasPrefix("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"))
        #expect(pair.publicKey.hasSuffix(" buyer@example node-7"))
        #expect(!pair.publicKey.contains("\n"))
        #expect(pair.fingerprint.hasPrefix("SHA256:") && !pair.fingerprint.hasSuffix("="))
        #expect(pair.fingerprint.count == 7 + 43)
    }

    @Test(arguments: SSHKeyAlgorithm.allCases)
    func ourPublicKeyParsesWithSameFingerprint(_ algorithm: SSHKeyAlgorithm) throws {
        let pair = try SSHKeyPair.generate(algorithm, comment: "round trip")
        let parsed = try SSHPublicKey(parsing: pair.publicKey)
        #expect(parsed.fingerprint == pair.fingerprint)
        #expect(parsed.line == pair.publicKey)
        #expect(parsed.comment == "round trip")
    }

    @Test func emptyCommentGivesTwoFieldLine() throws {
        let pair = try SSHKeyPair.generate(.ed25519, comment: "")
        #expect(pair.publicKey.split(separator: " ").count == 2)
        #expect(!pair.publicKey.hasSuffix(" "))
    }

    @Test func commentWithControlCharacterIsRefused() throws {
        #expect(throws: KeyError.self) { try SSHKeyPair.generate(.ed25519, comment: "a\nb") }
        #expect(throws: KeyError.self) { try SSHKeyPair.generate(.ed25519, comment: String(repeating: "x", count: 5000)) }
    }
}
