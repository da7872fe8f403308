extension SQLiteDatabase {
    /// The handle a `transaction` body runs its SQL through. It uses the connection the
    /// transaction already holds (no locking), and stops working once the body returns.
    /// Not Sendable: it belongs to the thread running the body.
    final class Transaction: SQLExecutor {
        private var connection: SQLiteConnection?

        init(_ connection: SQLiteConnection) {
            self.connection = connection
        }

        func end() { connection = nil }

        /// Runs `operation` only while the transaction is open, and checks that it stayed open:
        /// a COMMIT or ROLLBACK in the SQL, or an error after which SQLite rolled back by itself
        /// (SQLITE_FULL, IOERR, …), must not let the rest of the body run in autocommit mode.
        private func run<T>(_ sql: String, _ operation: (SQLiteConnection) throws -> T) throws -> T {
            guard let connection else {
                throw SQLiteError.misuse("transaction handle used after its transaction ended", sql: sql)
            }
            guard connection.isInTransaction else {
                throw SQLiteError.misuse("transaction was already rolled back by an earlier error", sql: sql)
            }
            let result = try operation(connection)
            guard connection.isInTransaction else {
                throw SQLiteError.misuse("SQL ended the transaction early; let transaction {} commit or roll back", sql: sql)
            }
            return result
        }

        @discardableResult
        func execute(_ sql: String, _ bindings: [any SQLValueConvertible]) throws -> Int {
            try run(sql) { try $0.execute(sql, bindings) }
        }

        func query(_ sql: String, _ bindings: [any SQLValueConvertible]) throws -> [SQLRow] {
            try run(sql) { try $0.query(sql, bindings) }
        }

        func executeScript(_ sql: String) throws {
            try run(sql) { try $0.executeScript(sql) }
        }
    }
}
