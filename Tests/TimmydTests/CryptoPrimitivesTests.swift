import Protocol
import Testing
@testable import timmyd

@Suite struct CryptoPrimitivesTests {
    @Test func sha256MatchesKnownVectors() {
        #expect(SHA256Digest.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Digest.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Digest.hash(Array("abc".utf8)).count == 32)
    }

    @Test func hexRoundTripsAndRejectsBadInput() {
        let bytes: [UInt8] = [0x00, 0x0f, 0xa5, 0xff]
        #expect(bytes.hexString == "000fa5ff")
        #expect([UInt8](hexString: "000FA5ff") == bytes)
        #expect([UInt8](hexString: "") == [])
        #expect([UInt8](hexString: "abc") == nil)
        #expect([UInt8](hexString: "zz") == nil)
    }

    @Test func constantTimeEqualsComparesContentAndLength() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(constantTimeEquals([], []))
    }

    @Test func randomBytesHaveRequestedLengthAndVary() {
        #expect(CryptoRandom.bytes(0) == [])
        #expect(CryptoRandom.bytes(32).count == 32)
        #expect(CryptoRandom.bytes(32) != CryptoRandom.bytes(32))
    }

    @Test func base64StandardRoundTripAndStrictness() {
        let bytes: [UInt8] = [0xfb, 0xff, 0xbf, 0x01]
        #expect(Base64.encode(bytes) == "+/+/AQ==")
        #expect(Base64.decode("+/+/AQ==") == bytes)
        #expect(Base64.decode("") == [])
        #expect(Base64.decode("+/+/AQ") == nil)  // padding required
        #expect(Base64.decode("AB==") == nil)  // non-canonical trailing bits
        #expect(Base64.decode("AA AA") == nil)
        #expect(Base64.decode("-_-_AQ==") == nil)
    }

    @Test func base64URLRoundTripWithoutPadding() {
        let bytes: [UInt8] = [0xfb, 0xff, 0xbf, 0x01]
        #expect(Base64.urlEncodeNoPadding(bytes) == "-_-_AQ")
        #expect(Base64.urlDecode("-_-_AQ") == bytes)
        #expect(Base64.urlDecode("-_-_AQ==") == bytes)
        #expect(Base64.urlDecode("-_-_AQ=") == nil)
        #expect(Base64.urlDecode("+/+/AQ") == nil)
        #expect(Base64.urlDecode("A") == nil)
        for length in 0..<40 {
            let random = CryptoRandom.bytes(length)
            #expect(Base64.urlDecode(Base64.urlEncodeNoPadding(random)) == random)
            #expect(Base64.decode(Base64.encode(random)) == random)
        }
    }

    @Test func mpintEncodingFollowsLeadingZeroRule() {
        func mpint(_ magnitude: [UInt8]) -> [UInt8] {
            var writer = SSHWireWriter()
            writer.mpint(unsigned: magnitude)
            return writer.bytes
        }
        // RFC 4251 §5 examples.
        #expect(mpint([]) == [0, 0, 0, 0])
        #expect(mpint([0, 0]) == [0, 0, 0, 0])
        #expect(mpint([0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7]) == [0, 0, 0, 8, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7])
        #expect(mpint([0x80]) == [0, 0, 0, 2, 0x00, 0x80])
        #expect(mpint([0x00, 0x7f]) == [0, 0, 0, 1, 0x7f])
    }

    @Test func fingerprintOfKnownBlob() throws {
        // `ssh-keygen -l` prints this fingerprint for this key.
        let blob = try #require(Base64.decode("AAAAC3NzaC1lZDI1NTE5AAAAIGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE"))
        #expect(SSHKeyFileFingerprint.of(publicKeyBlob: blob) == "SHA256:ubxEl41fJDnUoEPKSZE0y6R0ZjjAQf/wV5vZgeBV8qk")
    }
}
