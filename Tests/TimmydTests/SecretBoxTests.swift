import Testing
@testable import timmyd

@Suite struct SecretBoxTests {
    let key = CryptoRandom.bytes(32)
    let aad = Array("order-42".utf8)
    let plaintext = Array("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n".utf8)

    @Test func roundTripRecoversPlaintext() throws {
        let box = try SecretBox(masterKey: key)
        let sealed = try box.seal(plaintext, associatedData: aad)
        #expect(sealed.count == 12 + plaintext.count + 16)
        #expect(try box.open(sealed, associatedData: aad) == plaintext)
    }

    @Test func emptyPlaintextAndEmptyAADRoundTrip() throws {
        let box = try SecretBox(masterKey: key)
        let sealed = try box.seal([], associatedData: [])
        #expect(sealed.count == 28)
        #expect(try box.open(sealed, associatedData: []) == [])
    }

    @Test func sealingTwiceUsesFreshNonces() throws {
        let box = try SecretBox(masterKey: key)
        let a = try box.seal(plaintext, associatedData: aad)
        let b = try box.seal(plaintext, associatedData: aad)
        #expect(a.prefix(12) != b.prefix(12))
        #expect(a != b)
    }

    /// Byte offsets into nonce (0, 11), ciphertext (12, middle) and tag (last 16).
    @Test(arguments: ["nonce-first", "nonce-last", "ciphertext-first", "ciphertext-middle", "tag-first", "tag-last"])
    func flippedBitAnywhereIsRejected(_ place: String) throws {
        let box = try SecretBox(masterKey: key)
        var sealed = try box.seal(plaintext, associatedData: aad)
        let index = switch place {
        case "nonce-first": 0
        case "nonce-last": 11
        case "ciphertext-first": 12
        case "ciphertext-middle": 12 + plaintext.count / 2
        case "tag-first": sealed.count - 16
        default: sealed.count - 1
        }
        sealed[index] ^= 0x01
        #expect(throws: KeyError.authenticationFailed) { try box.open(sealed, associatedData: aad) }
    }

    @Test func wrongAssociatedDataIsRejected() throws {
        let box = try SecretBox(masterKey: key)
        let sealed = try box.seal(plaintext, associatedData: aad)
        #expect(throws: KeyError.authenticationFailed) { try box.open(sealed, associatedData: Array("order-43".utf8)) }
        #expect(throws: KeyError.authenticationFailed) { try box.open(sealed, associatedData: []) }
    }

    @Test func wrongKeyIsRejected() throws {
        let sealed = try SecretBox(masterKey: key).seal(plaintext, associatedData: aad)
        let other = try SecretBox(masterKey: CryptoRandom.bytes(32))
        #expect(throws: KeyError.authenticationFailed) { try other.open(sealed, associatedData: aad) }
    }

    @Test func truncatedInputIsRejected() throws {
        let box = try SecretBox(masterKey: key)
        let sealed = try box.seal(plaintext, associatedData: aad)
        #expect(throws: KeyError.authenticationFailed) { try box.open(Array(sealed.dropLast()), associatedData: aad) }
        #expect(throws: KeyError.authenticationFailed) { try box.open(Array(sealed.prefix(28)), associatedData: aad) }
        #expect(throws: KeyError.sealedDataTooShort(27)) { try box.open(Array(sealed.prefix(27)), associatedData: aad) }
        #expect(throws: KeyError.sealedDataTooShort(0)) { try box.open([], associatedData: aad) }
    }

    @Test func masterKeyMustBe32Bytes() {
        #expect(throws: KeyError.invalidMasterKeyLength(16)) { try SecretBox(masterKey: [UInt8](repeating: 1, count: 16)) }
        #expect(throws: KeyError.invalidMasterKeyLength(33)) { try SecretBox(masterKey: [UInt8](repeating: 1, count: 33)) }
    }

    @Test func errorMessagesContainNoKeyMaterial() throws {
        let box = try SecretBox(masterKey: key)
        var sealed = try box.seal(plaintext, associatedData: aad)
        sealed[20] ^= 0xff
        do {
            _ = try box.open(sealed, associatedData: aad)
            Issue.record("tampered data opened")
        } catch {
            let text = "\(error)"
            #expect(!text.contains(key.hexString))
            #expect(!text.contains("secret"))
        }
    }
}
