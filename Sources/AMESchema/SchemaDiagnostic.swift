/// One problem found in a schema file, rendered as `file:line:column: error: what (how to fix)`.
public struct SchemaDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String
    public var fix: String

    public init(file: String, line: Int, column: Int, message: String, fix: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.fix = fix
    }

    public var description: String {
        "\(file):\(line):\(column): error: \(message) (\(fix))"
    }
}

/// All problems of one generator run, reported together.
public struct SchemaErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [SchemaDiagnostic]

    public init(_ diagnostics: [SchemaDiagnostic]) {
        self.diagnostics = diagnostics.sorted {
            ($0.file, $0.line, $0.column, $0.message) < ($1.file, $1.line, $1.column, $1.message)
        }
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
