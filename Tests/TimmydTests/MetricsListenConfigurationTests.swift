import Testing
@testable import timmyd

@Suite struct MetricsListenConfigurationTests {
    private func load(_ value: String?) throws -> MetricsListenAddress? {
        try ConfigurationLoader(environment: value.map { ["METRICS_LISTEN": $0] } ?? [:], envFile: nil)
            .load(socketPath: nil, stateDirectory: nil, requireReal: false).metricsListen
    }

    @Test func offByDefault() throws {
        #expect(try load(nil) == nil)
        #expect(try load("") == nil)
    }

    @Test func loopbackAndExplicitAddressesAreAccepted() throws {
        #expect(try load("127.0.0.1:9477") == MetricsListenAddress(host: "127.0.0.1", port: 9477))
        #expect(try load("localhost:9477") == MetricsListenAddress(host: "127.0.0.1", port: 9477))
        #expect(try load("[::1]:9477") == MetricsListenAddress(host: "::1", port: 9477))
        #expect(try load("100.64.0.7:1") == MetricsListenAddress(host: "100.64.0.7", port: 1))
        #expect(try load("[::1]:9477")?.description == "[::1]:9477")
    }

    @Test(arguments: [
        "9477", ":9477", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:+80", "127.0.0.1:9477x",
        "0.0.0.0:9477", "[::]:9477", "[0:0:0:0:0:0:0:0]:9477", "::1:9477", "[::1]9477", "example.com:9477",
        "127.1:9477", "256.0.0.1:9477", "127.0.0.1 :9477", "http://127.0.0.1:9477",
    ])
    func nonsenseIsRefusedNamingTheSetting(_ value: String) {
        #expect {
            _ = try load(value)
        } throws: { error in
            "\(error)".contains("METRICS_LISTEN")
        }
    }
}
