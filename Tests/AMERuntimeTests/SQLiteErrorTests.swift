import Foundation
import Testing

@testable import AMERuntime

/// What SQLite refuses comes back as an error that says what SQLite said, and where.
@Suite struct SQLiteErrorTests {
    @Test func aStoreThatCannotBeOpenedNamesItsPathAndSQLitesReason() {
        let path = "/nonexistent-\(UUID().uuidString)/ame.sqlite"
        #expect {
            try SQLiteStore(path: path)
        } throws: { error in
            let text = String(describing: error)
            return text.hasPrefix("SQLite error ") && text.contains("unable to open") && text.contains(path)
        }
    }

    @Test func aStatementSQLiteRefusesIsAnErrorWithSQLitesMessage() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        #expect {
            try connection.execute("SELEC 1")
        } throws: { String(describing: $0).contains("syntax error") }
        #expect {
            try connection.query("SELECT * FROM missing", []) { _ in }
        } throws: { String(describing: $0).contains("no such table: missing") }
        // The connection is still usable after both.
        try connection.execute("CREATE TABLE present(a TEXT)")
        var rows = 0
        try connection.query("SELECT * FROM present", []) { _ in rows += 1 }
        #expect(rows == 0)
    }
}
