import AMEGenerated
import AMERuntime
import AMESchema
import AMEServer
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// The entry functions of the fuzz targets in `Fuzz/` (`scripts/fuzz.sh`): bytes in, an outcome
/// out. Each outcome has a `problem` when the answer breaks what the input boundary promises; a
/// fuzz target stops on it as on a crash. The tests feed the committed corpus and every
/// regression input through the same functions.
public enum FuzzTargets {
    /// Runs `work` to its end from synchronous code (a fuzz target's callback). Not for code that
    /// already runs on the concurrency pool: it blocks the calling thread.
    public static func blocking<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let value = await work()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }
}

extension FuzzTargets {
    /// Keeps each input in the file named by `AME_FUZZ_LAST_INPUT` (`scripts/fuzz.sh` sets it)
    /// before it runs. libFuzzer saves the input of a crash it catches, but not of one that ends
    /// the process before its handler can run, such as a stack overflow on a thread of the
    /// concurrency pool; the script then keeps this file instead.
    public static func keep(_ data: UnsafePointer<UInt8>, _ size: Int) {
        guard let descriptor = lastInput else { return }
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, data, size, 0)
    }

    nonisolated(unsafe) private static let lastInput: Int32? = {
        guard let path = ProcessInfo.processInfo.environment["AME_FUZZ_LAST_INPUT"], !path.isEmpty else {
            return nil
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        return descriptor >= 0 ? descriptor : nil
    }()
}

// MARK: The request path

extension FuzzTargets {
    /// What `POST /graphql` answered.
    public struct RequestOutcome: Sendable {
        public var status: Int
        /// The response body, parsed.
        public var body: JSONValue?
        /// Why the answer is not a well-formed GraphQL response (`nil` when it is).
        public var problem: String?
    }

    /// Answers `body` as `POST /graphql` does once a body is read: the credential check (the
    /// development tenancy, tenant `fuzz`), the JSON bounds, GraphQL parse, validation, limits,
    /// planning and execution against an embedded in-memory store with sample data, all with
    /// the server's default limits (`ServerLimits()`, `QueryLimits()`).
    public static func request(_ body: [UInt8]) async -> RequestOutcome {
        let response = await RequestHarness.shared.answer(body)
        var outcome = RequestOutcome(status: response.status, body: nil, problem: nil)
        outcome.body = try? JSONValue.parse(bytes: response.body)
        outcome.problem = Self.problem(status: response.status, body: outcome.body)
        return outcome
    }

    static func problem(status: Int, body: JSONValue?) -> String? {
        guard let body, case .object(let object) = body else { return "the body is not a JSON object" }
        guard object["data"] != nil || object["errors"] != nil else { return "the body has neither data nor errors" }
        if status >= 500 { return "status \(status)" }
        if let errors = object["errors"] {
            guard case .array(let list) = errors, !list.isEmpty else { return "`errors` is not a non-empty list" }
            for error in list {
                guard error["message"]?.stringValue != nil else { return "an error without a message: \(error)" }
                // An internal error is a bug: a hostile request is refused with its own code.
                if error["extensions"]?["code"]?.stringValue == "INTERNAL" {
                    return "an internal error: \(error)"
                }
            }
        }
        return nil
    }

    /// The engine the request target answers with: an in-memory embedded store, replaced every
    /// ``RequestHarness/requestsPerStore`` requests so that millions of mutations do not grow it
    /// without bound.
    actor RequestHarness {
        static let shared = RequestHarness()
        static let requestsPerStore = 2_000
        static let tenant = Tenant(endpointId: "fuzz")

        private var engine: GraphQLEngine?
        private var requests = 0
        private let tenants = TenantResolver()
        private let limits = ServerLimits()
        private let headers: HTTPFields = [
            .contentType: "application/json", .accept: "application/graphql-response+json",
            HTTPField.Name("X-Endpoint-Id")!: RequestHarness.tenant.endpointId,
        ]

        func answer(_ body: [UInt8]) async -> (status: Int, body: [UInt8]) {
            requests += 1
            if requests > Self.requestsPerStore { (engine, requests) = (nil, 1) }
            let engine = await current()
            let response = await AMEHTTPServer.answer(
                postBody: body, headers: headers, engine: engine, tenants: tenants, limits: limits)
            let collector = BodyCollector()
            // Writing to memory does not fail.
            try? await response.body.write(collector)
            return (Int(response.status.code), collector.sink.bytes.withLock { $0 })
        }

        private func current() async -> GraphQLEngine {
            if let engine { return engine }
            do {
                let engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
                try await engine.createTables()
                _ = try await SampleData(corporations: 2, places: 4, contacts: 6, requests: 6)
                    .load(into: engine, tenant: Self.tenant)
                self.engine = engine
                return engine
            } catch {
                fatalError("the fuzz target's store could not be set up: \(error)")
            }
        }
    }

    /// Collects a response body in memory.
    struct BodyCollector: ResponseBodyWriter {
        final class Sink: Sendable {
            let bytes = Mutex<[UInt8]>([])
        }
        let sink = Sink()

        mutating func write(_ buffer: ByteBuffer) async throws {
            let part = Array(buffer: buffer)
            sink.bytes.withLock { $0 += part }
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}

// MARK: The schema loader

extension FuzzTargets {
    /// What the schema loader made of the files.
    public enum SchemaResult: Sendable {
        /// A valid schema, with its entities' names.
        case schema(entities: [String])
        /// Refused, with the diagnostics.
        case diagnostics([SchemaDiagnostic])
        /// A file is not UTF-8 text (`ame-codegen` refuses to read it before loading).
        case notUTF8
    }

    public struct SchemaOutcome: Sendable {
        public var files: [SchemaLoader.File]
        public var result: SchemaResult
        /// Why the result breaks the loader's promise: a schema with entities, or diagnostics each
        /// with a message, a fix and a position (file:line:column) in one of the files.
        public var problem: String?
    }

    /// The files of a schema input: NUL-separated parts, each a file name on its first line and
    /// the file's YAML after it (`Fuzz/corpus/schema/` has the project's schema and the invalid
    /// fixtures in that form).
    public static func schemaFiles(_ bytes: [UInt8]) -> [(path: String, contents: [UInt8])] {
        bytes.split(separator: 0, omittingEmptySubsequences: false).enumerated().map { index, part in
            let newline = part.firstIndex(of: UInt8(ascii: "\n")) ?? part.endIndex
            let name = String(decoding: part[part.startIndex..<newline], as: UTF8.self)
            let contents = newline < part.endIndex ? Array(part[part.index(after: newline)...]) : []
            return ("schema/" + (name.isEmpty ? "file\(index).yaml" : name), contents)
        }
    }

    /// Loads and validates the schema files of `bytes` (``schemaFiles(_:)``) as `ame-codegen`
    /// does.
    public static func schema(_ bytes: [UInt8]) -> SchemaOutcome {
        var files: [SchemaLoader.File] = []
        for file in schemaFiles(bytes) {
            guard let contents = String(validating: file.contents, as: UTF8.self) else {
                return SchemaOutcome(files: files, result: .notUTF8)
            }
            files.append(SchemaLoader.File(path: file.path, contents: contents))
        }
        var outcome: SchemaOutcome
        do {
            let schema = try SchemaLoader().load(files)
            outcome = SchemaOutcome(files: files, result: .schema(entities: schema.entities.map(\.name)))
            if schema.entities.isEmpty { outcome.problem = "a schema without entities was accepted" }
        } catch {
            outcome = SchemaOutcome(files: files, result: .diagnostics(error.diagnostics))
            let paths = Set(files.map(\.path))
            if error.diagnostics.isEmpty { outcome.problem = "refused without a diagnostic" }
            for diagnostic in error.diagnostics {
                if diagnostic.line < 1 || diagnostic.column < 1 || !paths.contains(diagnostic.file)
                    || diagnostic.message.isEmpty || diagnostic.fix.isEmpty
                {
                    outcome.problem = "a diagnostic without a position in the files, a message or a fix: \(diagnostic)"
                }
            }
        }
        return outcome
    }
}

// MARK: The DynamoDB answers

extension FuzzTargets {
    /// What the DynamoDB store made of one answer, read as each of the answers it decodes items
    /// from.
    public struct DynamoDBOutcome: Sendable {
        /// The body was JSON.
        public var isJSON: Bool
        /// Items decoded by each answer's decoder (`GetItem`, `BatchGetItem`, `Query`), for those
        /// that accepted it.
        public var items: [String: Int] = [:]
        /// The decoders that refused it as malformed.
        public var refused: [String] = []
        public var problem: String?
    }

    /// The tables of the project's schema, which BatchGetItem answers are read for.
    static let tables = Dictionary(
        uniqueKeysWithValues: AMESchemaRegistry.registry.tableDefinitions.map { ($0.name, $0) })

    /// Decodes `body` as the DynamoDB store decodes a GetItem, BatchGetItem and Query answer.
    public static func dynamoDBResponse(_ body: [UInt8]) -> DynamoDBOutcome {
        let json = DynamoDBStore.responseJSON(body)
        var outcome = DynamoDBOutcome(isJSON: !json.isNull || isJSONNull(body))
        func decode(_ operation: String, _ count: () throws -> Int) {
            do {
                outcome.items[operation] = try count()
            } catch {
                outcome.refused.append(operation)
            }
        }
        decode("GetItem") { try DynamoDBStore.decodeGetItem(json) == nil ? 0 : 1 }
        decode("BatchGetItem") {
            let (items, _) = try DynamoDBStore.decodeBatchGetItem(json, tables: tables)
            let answered = json["Responses"]?.objectPairs.reduce(0) { $0 + $1.1.arrayValue.count } ?? 0
            if items.count > answered {
                outcome.problem = "BatchGetItem decoded \(items.count) items from \(answered)"
            }
            return items.count
        }
        decode("Query") {
            let page = try DynamoDBStore.decodeQuery(json, countOnly: false)
            let answered = json["Items"]?.arrayValue.count ?? 0
            if page.items.count != answered || page.count != answered {
                outcome.problem = "Query decoded \(page.items.count) items (count \(page.count)) from \(answered)"
            }
            return page.items.count
        }
        // A count-only Query reads `Count` alone.
        decode("Query(COUNT)") { try DynamoDBStore.decodeQuery(json, countOnly: true).count }
        return outcome
    }

    private static func isJSONNull(_ body: [UInt8]) -> Bool {
        String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "null"
    }
}

extension JSONValue {
    fileprivate var objectPairs: [(String, JSONValue)] {
        guard case .object(let object) = self else { return [] }
        return Array(object.pairs)
    }
}
