import Crypto
import GraphQL
import Synchronization

/// How AME treats persisted operations (`AME_PERSISTED_QUERIES`, `AME_PERSISTED_QUERIES_FILE`,
/// `AME_PERSISTED_QUERIES_MAX`).
public struct PersistedOperationsConfiguration: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Apollo's automatic persisted queries: a client sends a query's SHA-256; an unknown
        /// hash gets `PERSISTED_QUERY_NOT_FOUND`, and the client's retry with the text registers it.
        /// Requests with a query and no hash run as usual.
        case automatic
        /// Only the operations of a manifest (`ame operations manifest`) run, by hash or by text;
        /// anything else is refused with `OPERATION_NOT_ALLOWED`.
        case allowList([String: String])
        /// Hashes are refused with `PERSISTED_QUERY_NOT_SUPPORTED`.
        case disabled
    }

    public var mode: Mode
    /// Registered queries each process keeps in memory (least recently used dropped first).
    public var maxEntries: Int
    /// How long a registered query lives in Redis (shared by every process when the cache has Redis).
    public var redisTTL: Duration

    public init(mode: Mode = .automatic, maxEntries: Int = 10_000, redisTTL: Duration = .seconds(86_400)) {
        self.mode = mode
        self.maxEntries = maxEntries
        self.redisTTL = redisTTL
    }

    /// The operations of an Apollo persisted-query manifest
    /// (`{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "body", …}]}`),
    /// by hash; every id must be the SHA-256 of its body.
    public static func allowList(manifest text: String) throws(AMEError) -> [String: String] {
        let invalid = { (what: String) in
            AMEError.badUserInput(
                "the persisted operations manifest \(what) (write it with `ame operations manifest`)", field: nil)
        }
        guard case .object(let object)? = try? JSONValue.parse(text),
            object["format"] == "apollo-persisted-query-manifest", object["version"] == 1,
            case .array(let operations)? = object["operations"]
        else { throw invalid("is not an apollo-persisted-query-manifest of version 1") }
        var result: [String: String] = [:]
        for (position, operation) in operations.enumerated() {
            guard let id = operation["id"]?.stringValue, let body = operation["body"]?.stringValue else {
                throw invalid("has an operation without `id` and `body` (operations[\(position)])")
            }
            guard PersistedOperations.hash(body) == id else {
                throw invalid("has an `id` that is not the SHA-256 of its body (operations[\(position)])")
            }
            result[id] = body
        }
        return result
    }
}

/// Resolves the query text of a request that names a persisted operation
/// (`extensions.persistedQuery`, version 1, as Apollo Client, urql and graphql-request send it),
/// and enforces the allow-list. Registered queries are kept in memory and, when the cache has
/// Redis, in Redis for every process (`ame:apq:<sha256>`); a Redis failure only costs the client
/// a retry with the full text. The queries' parsed and validated documents are kept by the
/// engine's ``DocumentCache``, so a persisted operation is parsed and validated once.
final class PersistedOperations: Sendable {
    let configuration: PersistedOperationsConfiguration
    let redis: RedisClient?
    private let memory: Mutex<MemoryLRU<String, String>>

    init(configuration: PersistedOperationsConfiguration, redis: RedisClient?) {
        self.configuration = configuration
        self.redis = redis
        // Entries leave memory by count; Redis has its own time to live.
        memory = Mutex(MemoryLRU(capacity: configuration.maxEntries, ttl: .seconds(86_400 * 365)))
    }

    /// The hex SHA-256 of a query's UTF-8 bytes, as clients compute it.
    static func hash(_ query: String) -> String {
        SHA256.hash(data: Array(query.utf8)).map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
        }.joined()
    }

    /// What a request runs: its query text, and the hash to register it under once it has
    /// parsed and validated (a query that does not validate is never registered).
    struct Resolution {
        var query: String
        var registerAs: String?
    }

    /// The query text `request` runs.
    func resolve(_ request: GraphQLRequest) async throws(AMEError) -> Resolution {
        guard let persisted = request.extensions["persistedQuery"] else {
            if case .allowList(let operations) = configuration.mode, operations[Self.hash(request.query)] == nil {
                throw AMEError.operationNotAllowed
            }
            return Resolution(query: request.query)
        }
        guard case .object = persisted, persisted["version"] == 1 else {
            throw AMEError.badUserInput(
                "`extensions.persistedQuery` must be {\"version\": 1, \"sha256Hash\": …}", field: "persistedQuery")
        }
        guard let hash = persisted["sha256Hash"]?.stringValue, hash.utf8.count == 64,
            hash.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            throw AMEError.badUserInput(
                "`extensions.persistedQuery.sha256Hash` must be 64 lowercase hex digits", field: "sha256Hash")
        }
        let given = request.query.isEmpty ? nil : request.query
        if let given, Self.hash(given) != hash {
            throw AMEError.persistedQueryHashMismatch
        }
        switch configuration.mode {
        case .disabled:
            throw AMEError.persistedQueryNotSupported
        case .allowList(let operations):
            guard let query = operations[hash] else { throw AMEError.operationNotAllowed }
            return Resolution(query: query)
        case .automatic:
            if let given { return Resolution(query: given, registerAs: hash) }
            guard let query = await lookUp(hash) else { throw AMEError.persistedQueryNotFound }
            return Resolution(query: query)
        }
    }

    /// Keeps `query` under `hash`, here and in Redis.
    func register(_ query: String, hash: String) async {
        memory.withLock { _ = $0.set(query, for: hash, now: .now) }
        guard let redis else { return }
        _ = try? await redis.send([
            "SET", Self.redisKey(hash), query, "EX", String(configuration.redisTTL.components.seconds),
        ])
    }

    private func lookUp(_ hash: String) async -> String? {
        if let query = memory.withLock({ $0.value(for: hash, now: .now) }) { return query }
        guard let redis, let query = try? await redis.send(["GET", Self.redisKey(hash)]).text,
            Self.hash(query) == hash
        else { return nil }
        memory.withLock { _ = $0.set(query, for: hash, now: .now) }
        return query
    }

    static func redisKey(_ hash: String) -> String { "ame:apq:\(hash)" }

    /// How many registered queries this process holds in memory.
    var count: Int { memory.withLock { $0.count } }
}

extension GraphQLEngine {
    /// An Apollo persisted-query manifest of `files` (one document each, its text exactly as
    /// written: clients send that text or its hash), after checking that every document parses
    /// and validates against this schema. Used by `ame operations manifest`; the server loads it
    /// with `AME_PERSISTED_QUERIES=allow-list`.
    public func persistedOperationsManifest(_ files: [(name: String, text: String)]) throws(AMEError) -> String {
        var problems: [String] = []
        var operations: [JSONValue] = []
        for file in files {
            let document: Document
            switch checkedDocument(file.text) {
            case .failure(let failure):
                problems += failure.errors.map { error in
                    let location = error.locations.first.map { ":\($0.line):\($0.column)" } ?? ""
                    return "\(file.name)\(location): \(error.error.message)"
                }
                continue
            case .success(let parsed): document = parsed
            }
            let first = document.definitions.lazy.compactMap { $0 as? OperationDefinition }.first
            operations.append([
                "id": .string(PersistedOperations.hash(file.text)),
                "name": first?.name.map { .string($0.value) } ?? .null,
                "type": .string(first?.operation.rawValue ?? "query"), "body": .string(file.text),
            ])
        }
        guard problems.isEmpty else {
            throw AMEError.badUserInput(problems.joined(separator: "\n"), field: nil)
        }
        let manifest: JSONValue = [
            "format": "apollo-persisted-query-manifest", "version": 1, "operations": .array(operations),
        ]
        return manifest.jsonText + "\n"
    }

    /// `text` parsed and validated against the schema, or its errors.
    func checkedDocument(_ text: String) -> Result<Document, DocumentErrors> {
        let document: Document
        do {
            document = try parse(source: Source(body: text, name: "GraphQL request"))
        } catch let error as GraphQLError {
            return .failure(DocumentErrors(errors: [Self.payload(error, code: { .parseFailed($0) })]))
        } catch {
            return .failure(DocumentErrors(errors: [GraphQLErrorPayload(.parseFailed("cannot parse the document"))]))
        }
        let errors = validate(schema: schema, ast: document)
        guard errors.isEmpty else {
            return .failure(DocumentErrors(errors: errors.map { Self.payload($0, code: { .validationFailed($0) }) }))
        }
        return .success(document)
    }
}

/// The parse or validation errors of a document.
struct DocumentErrors: Error {
    var errors: [GraphQLErrorPayload]
}
