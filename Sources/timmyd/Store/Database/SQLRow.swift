/// One result row. Values are copied out of SQLite, so a row outlives its statement and
/// can cross tasks.
struct SQLRow: Sendable {
    /// Column names, shared by every row of one result.
    final class Columns: Sendable {
        let names: [String]
        let indexByName: [String: Int]

        init(_ names: [String]) {
            self.names = names
            // With duplicate names (e.g. a join's `SELECT *`) the first column wins;
            // alias columns in SQL to reach the others.
            self.indexByName = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    let columns: Columns
    let values: [SQLValue]

    var columnNames: [String] { columns.names }

    func contains(_ column: String) -> Bool { columns.indexByName[column] != nil }

    /// The value of `column`, or `.null` if the result has no such column
    /// (a debug build asserts, since that is almost always a typo).
    subscript(_ column: String) -> SQLValue {
        guard let index = columns.indexByName[column] else {
            assertionFailure("result has no column named \(column); columns: \(columns.names)")
            return .null
        }
        return values[index]
    }

    subscript(_ index: Int) -> SQLValue { values[index] }

    // Typed accessors are strict: they return nil for NULL and for a value of another
    // storage class, never converting (no text → integer parsing).

    func int(_ column: String) -> Int64? {
        if case .integer(let value) = self[column] { return value }
        return nil
    }

    func double(_ column: String) -> Double? {
        if case .real(let value) = self[column] { return value }
        return nil
    }

    func string(_ column: String) -> String? {
        if case .text(let value) = self[column] { return value }
        return nil
    }

    func blob(_ column: String) -> [UInt8]? {
        if case .blob(let value) = self[column] { return value }
        return nil
    }

    /// INTEGER 0 is false, any other INTEGER is true.
    func bool(_ column: String) -> Bool? {
        int(column).map { $0 != 0 }
    }
}
