import ArgumentParser
import Testing

@testable import timmyctl

/// Every subcommand names itself: without `commandName:` argument-parser derives the
/// name with String(describing:) for every subcommand at each start of timmyctl, whose
/// protocol conformance scans were half of its start-up time.
@Suite struct CommandNamesTests {
    @Test func everySubcommandHasAnExplicitName() {
        let unnamed = TimmyCtl.configuration.subcommands.filter { $0.configuration.commandName == nil }
        #expect(unnamed.isEmpty, "subcommands without commandName: \(unnamed)")
        #expect(TimmyCtl.configuration.subcommands.count >= 18)
    }
}
