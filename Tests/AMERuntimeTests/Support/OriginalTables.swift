import AMERuntime
import Foundation

/// `Tests/Support/original_tables.py`: the original service's six tables on the test run's
/// `moto_server`, built and filled with boto3 in the original's exact key schemas and formats.
struct OriginalTables {
    let endpoint: URL
    /// The original's table prefix, unique per test (the server is shared by the test run).
    let prefix: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The six tables on moto under a fresh prefix; `nil` when moto is unavailable and
    /// integration tests are not required.
    /// `wrongTable` is created with another key schema (the hash key `id` alone).
    static func make(wrongTable: String? = nil) async throws -> OriginalTables? {
        guard let endpoint = try await MotoServer.shared.start() else { return nil }
        let tables = OriginalTables(endpoint: endpoint, prefix: "orig\(UUID().uuidString.prefix(8).lowercased())-")
        _ = try tables.run(["create"] + (wrongTable.map { [$0] } ?? []))
        return tables
    }

    /// Writes the sample data; answers every item written, by table (DynamoDB's typed JSON).
    func fill(scale: Int = 1, seed: Int = 7) throws -> [String: [JSONValue]] {
        let output = try run(["fill", String(scale), String(seed)])
        guard case .object(let tables) = try JSONValue.parse(output) else {
            throw Failure(description: "fill: \(output)")
        }
        var result: [String: [JSONValue]] = [:]
        for (name, items) in tables.pairs { result[name] = items.arrayValue }
        return result
    }

    /// Puts one item (DynamoDB's typed JSON) into one of the six tables.
    func put(_ table: String, _ item: JSONValue) throws {
        _ = try run(["put", table, item.jsonText])
    }

    /// A digest and count of every table's items, to show the original's side did not change.
    func digest() throws -> String { try run(["digest"]) }

    func run(_ arguments: [String]) throws -> String {
        guard let python = MotoServer.find("python3") else { throw Failure(description: "python3 is missing") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments =
            [FreePort.supportScript("original_tables.py"), endpoint.absoluteString, prefix] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "original_tables.py \(arguments.first ?? ""): \(String(decoding: message, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A store on the same server with the tests' short retry deadlines.
    func store(tables: [TableDefinition] = []) -> DynamoDBStore { MotoServer.store(endpoint: endpoint, tables: tables) }
}
