import Testing
@testable import timmyd

/// The `ConfigurationError` text `body` throws, nil when it returns.
func configurationError(_ body: () throws -> some Any) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as ConfigurationError {
        return error.description
    } catch {
        Issue.record("expected a ConfigurationError, got \(error)")
        return nil
    }
}

@Suite struct EnvironmentFileTests {
    private func parse(_ text: String) throws -> [String: String] {
        try EnvironmentFile.parse(text, path: "/etc/timmyd.env")
    }

    @Test func readsPlainAssignments() throws {
        #expect(try parse("A=1\nB_2=two words\n_C=") == ["A": "1", "B_2": "two words", "_C": ""])
    }

    @Test func skipsCommentsAndBlankLines() throws {
        let text = """
            # a comment
               # an indented comment

            A=1
            \t
            B=2 # not a comment: part of the value
            """
        #expect(try parse(text) == ["A": "1", "B": "2 # not a comment: part of the value"])
    }

    @Test func allowsExportPrefix() throws {
        #expect(try parse("export A=1\nexport   B=2") == ["A": "1", "B": "2"])
    }

    @Test func stripsMatchingQuotesOnly() throws {
        let text = """
            DOUBLE="a b"
            SINGLE='c d'
            INNER="it's"
            MISMATCHED="e'
            LONE="
            EMPTY=""
            """
        #expect(
            try parse(text) == [
                "DOUBLE": "a b", "SINGLE": "c d", "INNER": "it's", "MISMATCHED": "\"e'", "LONE": "\"", "EMPTY": "",
            ])
    }

    @Test func trimsSpacesAroundKeyValueAndCarriageReturns() throws {
        #expect(try parse("  A = 1  \r\nB=2\r\n") == ["A": "1", "B": "2"])
    }

    @Test func valueMayContainEqualsSigns() throws {
        #expect(try parse("TOKEN=abc==") == ["TOKEN": "abc=="])
    }

    @Test func laterAssignmentWins() throws {
        #expect(try parse("A=1\nA=2") == ["A": "2"])
    }

    @Test func lineWithoutEqualsIsRejectedWithItsNumber() {
        let error = configurationError { try parse("A=1\n\n# fine\nJUSTAWORD\nB=2") }
        #expect(error == "/etc/timmyd.env:4: expected KEY=VALUE")
    }

    @Test(arguments: ["1A=x", "A-B=x", "A B=x", "=x", "ÄPFEL=x", "A.B=x", "$A=x"])
    func invalidNameIsRejectedWithItsLineNumber(_ line: String) throws {
        let error = try #require(configurationError { try parse("OK=1\n\(line)") })
        #expect(error.hasPrefix("/etc/timmyd.env:2: "))
        #expect(error.contains("is not a variable name"))
    }

    @Test func rejectedLineNeverEchoesItsValue() throws {
        let error = try #require(configurationError { try parse("BAD NAME=supersecretvalue") })
        #expect(!error.contains("supersecretvalue"))
    }

    @Test func variableNames() {
        #expect(EnvironmentFile.isValidName("LNBITS_API_KEY"))
        #expect(EnvironmentFile.isValidName("_x9"))
        #expect(!EnvironmentFile.isValidName(""))
        #expect(!EnvironmentFile.isValidName("9x"))
        #expect(!EnvironmentFile.isValidName("é"))
    }
}
