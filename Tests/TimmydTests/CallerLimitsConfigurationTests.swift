import Testing
@testable import timmyd

/// The abuse limits as read from the environment: defaults, and bad values refused.
@Suite struct CallerLimitsConfigurationTests {
    func load(_ environment: [String: String]) throws -> DaemonConfiguration {
        try ConfigurationLoader(environment: environment, envFile: nil).load(socketPath: nil, stateDirectory: nil, requireReal: false)
    }

    @Test func defaults() throws {
        let configuration = try load([:])
        let limits = configuration.callerLimits
        #expect(limits.adminReservedConnections == 16)
        #expect(limits.requestsInFlightPerConnection == 16)
        #expect(limits.batchLength == 100)
        #expect(limits.watchesPerConnection == 32)
        #expect(limits.watchesPerJob == 16)
        #expect(limits.createsPerMinute == 10)
        #expect(configuration.http.maximumConnectionsPerAddress == 32)
        #expect(configuration.http.maximumStreamsPerAddress == 8)
    }

    @Test func eachLimitIsRead() throws {
        let configuration = try load([
            "MAX_CONNECTIONS": "100", "ADMIN_RESERVED_CONNECTIONS": "99", "MAX_REQUESTS_IN_FLIGHT": "2", "MAX_BATCH_LENGTH": "3",
            "MAX_WATCHES_PER_CONNECTION": "4", "MAX_WATCHES_PER_JOB": "5", "CREATE_RATE_PER_MINUTE": "0",
            "HTTP_MAX_CONNECTIONS_PER_ADDRESS": "6", "HTTP_MAX_STREAMS_PER_ADDRESS": "7",
        ])
        let limits = configuration.callerLimits
        #expect(limits.adminReservedConnections == 99)
        #expect(limits.requestsInFlightPerConnection == 2)
        #expect(limits.batchLength == 3)
        #expect(limits.watchesPerConnection == 4)
        #expect(limits.watchesPerJob == 5)
        #expect(limits.createsPerMinute == 0)
        #expect(configuration.http.maximumConnectionsPerAddress == 6)
        #expect(configuration.http.maximumStreamsPerAddress == 7)
    }

    @Test func theDefaultReserveNeverTakesMoreThanHalfTheSlots() throws {
        #expect(try load(["MAX_CONNECTIONS": "10"]).callerLimits.adminReservedConnections == 5)
        #expect(try load(["MAX_CONNECTIONS": "1"]).callerLimits.adminReservedConnections == 0)
    }

    @Test func aReserveOfEverySlotOrBadNumbersAreRefused() {
        for environment in [
            ["MAX_CONNECTIONS": "10", "ADMIN_RESERVED_CONNECTIONS": "10"], ["ADMIN_RESERVED_CONNECTIONS": "-1"],
            ["MAX_REQUESTS_IN_FLIGHT": "0"], ["MAX_BATCH_LENGTH": "0"], ["MAX_WATCHES_PER_CONNECTION": "x"],
            ["MAX_WATCHES_PER_JOB": "0"], ["CREATE_RATE_PER_MINUTE": "-5"], ["HTTP_MAX_CONNECTIONS_PER_ADDRESS": "0"],
            ["HTTP_MAX_STREAMS_PER_ADDRESS": "0"],
        ] {
            #expect(throws: ConfigurationError.self, "\(environment)") { try load(environment) }
        }
    }
}
