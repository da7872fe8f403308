import Protocol

/// Chooses the real or the stub backends from the configuration.
enum Backends {
    static func payments(_ configuration: DaemonConfiguration, database: SQLiteDatabase) throws -> PaymentBackend {
        guard configuration.lnbits == nil else {
            throw ConfigurationError("LNBITS_URL is set, but this build of timmyd has no LNbits backend yet")
        }
        return StubPaymentBackend(database: database)
    }

    static func provider(_ configuration: DaemonConfiguration) throws -> NodeProvider {
        guard configuration.digitalOcean == nil else {
            throw ConfigurationError("DO_API_TOKEN is set, but this build of timmyd has no DigitalOcean provider yet")
        }
        return StubNodeProvider(
            totalDelayMilliseconds: configuration.stubProvisionDelayMilliseconds,
            failAt: configuration.stubProvisionFailAt)
    }
}
