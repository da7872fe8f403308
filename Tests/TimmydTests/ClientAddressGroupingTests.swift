import NIOHTTP1
import Testing
@testable import timmyd

/// The key each web buyer is counted under for the per-address limits.
@Suite struct ClientAddressGroupingTests {
    func key(_ forwarded: String) -> String {
        ClientAddress.of(HTTPHeaders([("X-Forwarded-For", forwarded)]), trustForwardedFor: true)
    }

    @Test func twoIPv6AddressesInOneSlash64ShareAKey() {
        #expect(key("2001:db8:1:2::1") == "2001:db8:1:2::/64")
        #expect(key("2001:db8:1:2:ffff:ffff:ffff:fffe") == key("2001:db8:1:2::1"))
        #expect(key("2001:DB8:1:2:0:0:0:9") == key("2001:db8:1:2::1"))
        // The next /64 is someone else.
        #expect(key("2001:db8:1:3::1") != key("2001:db8:1:2::1"))
    }

    @Test func ipv4StaysAsItIsAndMappedIPv6CountsAsItsIPv4() {
        #expect(key("198.51.100.7") == "198.51.100.7")
        #expect(key("::ffff:198.51.100.7") == "198.51.100.7")
        #expect(key("198.51.100.8") != key("198.51.100.7"))
    }

    @Test func anythingThatIsNotAnAddressIsTheSharedUntrustedKey() {
        for junk in ["fe80::1%eth0", "1.2.3", "01.2.3.4.5", "::g", "2001:db8::/64", "[2001:db8::1]", "1.2.3.4:80", "localhost"] {
            #expect(key(junk) == ClientAddress.untrusted, "\(junk)")
        }
    }
}
