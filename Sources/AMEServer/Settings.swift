import AMERuntime
import Configuration
import Foundation
import SystemPackage

/// One setting of `ame`: its environment name, default, whether it is secret, and its check.
public struct Setting: Sendable {
    public let name: String
    /// The default, as text; `nil` when unset by default.
    public let defaultValue: String?
    public let secret: Bool
    public let help: String
    /// `nil` when `value` is acceptable; else what is wrong and how to fix it.
    let check: @Sendable (String) -> String?

    init(
        _ name: String, _ defaultValue: String?, secret: Bool = false, _ help: String,
        check: @escaping @Sendable (String) -> String? = { _ in nil }
    ) {
        self.name = name
        self.defaultValue = defaultValue
        self.secret = secret
        self.help = help
        self.check = check
    }
}

/// Every setting, read through swift-configuration: the process environment over a `.env` file
/// over the defaults (a command's flags override both). The one list behind `.env.example`,
/// `ame serve --print-config` and the checks that stop a start on an invalid value.
public enum Settings {
    static func integer(_ range: ClosedRange<Int>) -> @Sendable (String) -> String? {
        { text in
            guard let number = Int(text), range.contains(number) else {
                return "`\(text)` is not a whole number from \(range.lowerBound) to \(range.upperBound)"
            }
            return nil
        }
    }

    static func oneOf(_ choices: [String]) -> @Sendable (String) -> String? {
        { text in
            choices.contains(text.lowercased()) ? nil : "`\(text)` is not one of \(choices.joined(separator: ", "))"
        }
    }

    static let boolean = oneOf(["true", "false", "1", "0", "yes", "no", "on", "off"])

    public static let all: [Setting] = [
        Setting("AME_HOST", "127.0.0.1", "Address to bind; anything but loopback needs API keys or JWT."),
        Setting("AME_PORT", "8080", "Port to bind (0: a free one).", check: integer(0...65535)),
        Setting("AME_DATA_DIR", ".ame", "Folder of the embedded store."),
        Setting("AME_STORE", "embedded", "embedded or dynamodb.", check: oneOf(["embedded", "dynamodb"])),
        Setting(
            "AME_TABLE_PREFIX", nil, "Prefix of the physical table names (unset: the schema's table_prefix, ame-)."),
        Setting("AWS_REGION", "us-east-1", "DynamoDB region."),
        Setting("AWS_ACCESS_KEY_ID", nil, "DynamoDB credentials."),
        Setting("AWS_SECRET_ACCESS_KEY", nil, secret: true, "DynamoDB credentials."),
        Setting("AWS_SESSION_TOKEN", nil, secret: true, "DynamoDB temporary credentials."),
        Setting(
            "AWS_ENDPOINT_URL_DYNAMODB", nil, "DynamoDB endpoint (default: the region's); e.g. a local moto_server.",
            check: url),
        Setting("AWS_ENDPOINT_URL", nil, "Endpoint for every AWS service, if the one above is unset.", check: url),
        Setting(
            "AME_UPLOAD_BUCKET", nil, "S3 bucket that presignedUploadUrl signs PUT URLs for (unset: uploads are off)."),
        Setting(
            "AME_UPLOAD_URL_EXPIRATION", String(S3UploadURLSigner.defaultExpiration),
            "Seconds a presigned upload URL stays valid.", check: integer(S3UploadURLSigner.expirationRange)),
        Setting(
            "AWS_ENDPOINT_URL_S3", nil, "S3 endpoint (default: the region's); e.g. a local moto_server.", check: url),
        Setting("AME_CACHE_ENABLED", "false", "The entity cache (memory, + Redis with AME_REDIS_URL).", check: boolean),
        Setting(
            "AME_CACHE_TTL", String(CacheConfiguration().ttl.components.seconds),
            "Seconds an entry lives in the cache.", check: integer(1...86_400)),
        Setting(
            "AME_CACHE_MEMORY_MAX", String(CacheConfiguration().memoryMaxEntries),
            "Entries in each process's memory layer.", check: integer(1...10_000_000)),
        Setting(
            "AME_REDIS_URL", nil, secret: true,
            "redis://[[user]:password@]host[:port][/database] every instance shares: the cache's shared layer and the rate limits.",
            check: { text in
                do {
                    _ = try RedisConfiguration(url: text)
                    return nil
                } catch {
                    return "\(error)"
                }
            }),
        Setting(
            "AME_RATE_LIMITS_FILE", nil,
            "JSON file of per-tenant rate limits in DynamoDB capacity units, shared through AME_REDIS_URL (unset: off)."
        ),
        Setting(
            "AME_RATE_LIMITS_MAX_CLASSES", String(RateLimits.Bounds().maxClasses),
            "Most tenant classes in AME_RATE_LIMITS_FILE (each is a metric label).", check: integer(1...64)),
        Setting(
            "AME_RATE_LIMITS_MAX_TENANTS", String(RateLimits.Bounds().maxTenants),
            "Most tenants AME_RATE_LIMITS_FILE maps to a class.", check: integer(1...10_000_000)),
        Setting(
            "AME_MAX_COMPLEXITY", String(QueryLimits().maxComplexity), "Largest query cost accepted.",
            check: integer(1...100_000_000)),
        Setting("AME_MAX_DEPTH", String(QueryLimits().maxDepth), "Deepest query accepted.", check: integer(1...1000)),
        Setting(
            "AME_TENANT_LIMITS", nil, "Per-tenant limits, e.g. {\"acme\": {\"maxComplexity\": 5000}}.",
            check: { text in
                do {
                    _ = try TenantLimits.parse(text)
                    return nil
                } catch {
                    return (error as? AMEError)?.message ?? "\(error)"
                }
            }),
        Setting("AME_API_KEYS_FILE", nil, "File of API keys (`ame keys add`)."),
        Setting(
            "AME_JWT_SECRET", nil, secret: true, "HS256 secret of accepted JWTs (at least 32 bytes).",
            check: { text in
                text.utf8.count >= 32
                    ? nil
                    : "is \(text.utf8.count) bytes; an HS256 secret needs at least 32 (e.g. `openssl rand -hex 32`)"
            }),
        Setting("AME_TOKEN_SECRET", nil, secret: true, "Signs nextTokens; the same on every instance."),
        Setting(
            "AME_LOG_LEVEL", "info", "trace, debug, info, notice, warning, error or critical.",
            check: oneOf(["trace", "debug", "info", "notice", "warning", "error", "critical"])),
        Setting(
            "AME_MAX_BODY_BYTES", String(ServerLimits().maxBodyBytes), "Largest request body accepted (413 above it).",
            check: integer(1024...104_857_600)),
        Setting(
            "AME_MAX_QUERY_LENGTH", String(ServerLimits().maxQueryLength), "Longest query text accepted, in bytes.",
            check: integer(100...10_000_000)
        ),
        Setting(
            "AME_MAX_QUERY_TOKENS", String(QueryLimits().maxQueryTokens),
            "Most tokens of a query document, counted before it is parsed.", check: integer(10...10_000_000)),
        Setting(
            "AME_MAX_QUERY_NESTING", String(QueryLimits().maxQueryNesting),
            "Deepest nesting of { [ ( in a query document, literals included, counted before it is parsed.",
            check: integer(4...1000)),
        Setting(
            "AME_MAX_STRING_BYTES", String(QueryLimits().maxStringBytes),
            "Longest string in a query literal or a JSON body, in bytes.", check: integer(64...104_857_600)),
        Setting(
            "AME_MAX_DATA_DEPTH", String(QueryLimits().maxDataDepth),
            "Deepest nesting of a data attribute's value (DynamoDB reads back 32 levels, 4 of them AME's).",
            check: integer(1...28)),
        Setting(
            "AME_MAX_DATA_BYTES", String(QueryLimits().maxDataBytes),
            "Most bytes of an entity's data, all attributes together (a DynamoDB item holds 400 KB).",
            check: integer(1024...350_000)),
        Setting(
            "AME_MAX_DATA_KEYS", String(QueryLimits().maxDataKeys), "Most attributes of an entity's data.",
            check: integer(1...100_000)),
        Setting(
            "AME_MAX_SCAN_ITEMS", String(QueryLimits().maxScanItems),
            "Most items one request may read only to test them against list filters no index serves.",
            check: integer(100...10_000_000)),
        Setting(
            "AME_RECENT_WRITES_SECONDS", String(RecentWritesConfiguration().window.components.seconds),
            "Seconds a write is remembered so that reads through global indexes return it before the index lists it (0: off).",
            check: integer(0...3600)),
        Setting(
            "AME_MAX_JSON_DEPTH", String(JSONLimits().maxDepth),
            "Deepest nesting of arrays and objects in a JSON body.",
            check: integer(4...512)),
        Setting(
            "AME_MAX_JSON_KEYS", String(JSONLimits().maxKeys),
            "Most object members in a JSON body, all objects together.",
            check: integer(10...10_000_000)),
        Setting(
            "AME_HEADER_TIMEOUT", String(ConnectionTimeouts().header.components.seconds),
            "Seconds a new connection has to send its request's headers before it is closed.",
            check: integer(1...3600)),
        Setting(
            "AME_BODY_TIMEOUT", String(ConnectionTimeouts().body.components.seconds),
            "Seconds a request has to send its body once its headers are in, before it is closed.",
            check: integer(1...3600)),
        Setting(
            "AME_IDLE_TIMEOUT", String(ConnectionTimeouts().idle.components.seconds),
            "Seconds a kept-alive connection may wait for its next request before it is closed.",
            check: integer(1...86_400)),
        Setting(
            "AME_REQUEST_TIMEOUT", String(ServerLimits().requestTimeout.components.seconds),
            "Seconds a request may run before it is answered with a timeout.",
            check: integer(1...3600)),
        Setting(
            "AME_SHUTDOWN_TIMEOUT", "10", "Seconds in-flight requests get to finish on SIGTERM.",
            check: integer(0...3600)),
        Setting(
            "AME_CORS_ORIGINS", nil,
            "Browser origins allowed to call AME (CORS), comma-separated, or *; unset: none.",
            check: { text in
                let origins = text.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }
                return CORSPolicy.problem(origins: origins, credentials: false)
            }),
        Setting(
            "AME_CORS_ALLOW_CREDENTIALS", "false", "Let those origins send cookies and Authorization.", check: boolean),
        Setting(
            "AME_CORS_MAX_AGE", "600", "Seconds a browser may keep a CORS preflight's answer.",
            check: integer(0...86_400)),
        Setting(
            "AME_PERSISTED_QUERIES", "automatic",
            "automatic (Apollo's persisted queries), allow-list (only AME_PERSISTED_QUERIES_FILE's operations) or off.",
            check: oneOf(["automatic", "allow-list", "off"])),
        Setting("AME_PERSISTED_QUERIES_FILE", nil, "The manifest `ame operations manifest` writes, for allow-list."),
        Setting(
            "AME_PERSISTED_QUERIES_MAX", String(PersistedOperationsConfiguration().maxEntries),
            "Registered persisted queries each process keeps in memory.", check: integer(1...10_000_000)),
        Setting(
            "AME_INTROSPECTION", "true",
            "Answer __schema and __type (GraphQL clients and the console read the schema this way).",
            check: boolean),
        Setting(
            "AME_LAMBDA_TRUSTED_CLAIMS", nil,
            "ame lambda: API Gateway authorizer claims naming the tenant, ENDPOINT_CLAIM[,PART_CLAIM].",
            check: { text in
                do throws(LambdaFunctionError) {
                    _ = try AMELambda.TrustedClaims(setting: text)
                    return nil
                } catch {
                    return error.message
                }
            }),
        Setting(
            "AME_LAMBDA_TRUST_INVOKER", "false",
            "ame lambda: take a direct invocation's endpoint_id/part_id (IAM decides who may invoke).",
            check: boolean),
        Setting(
            "AME_LAMBDA_DEADLINE_MARGIN_MS", String(AMELambda.Options.defaultDeadlineMarginMilliseconds),
            "ame lambda: milliseconds before the invocation's deadline at which REQUEST_TIMEOUT is answered.",
            check: integer(10...60_000)),
        Setting(
            "AME_LAMBDA_MAX_EVENT_BYTES", String(AMELambda.Options().maxEventBytes),
            "ame lambda: largest invocation event read.", check: integer(1024...20_971_520)),
    ]

    static let url: @Sendable (String) -> String? = { text in
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            return "`\(text)` is not an http(s) URL"
        }
        return nil
    }

    /// The effective values of every setting that has one: the environment over `.env`
    /// (if the file exists) over the defaults.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment, environmentFile: String = ".env"
    ) async throws -> [String: String] {
        let secrets = SecretsSpecifier<String, String>.specific(Set(all.filter(\.secret).map(\.name)))
        let reader = ConfigReader(providers: [
            EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: secrets),
            try await EnvironmentVariablesProvider(
                environmentFilePath: FilePath(environmentFile), allowMissing: true, secretsSpecifier: secrets),
        ])
        var values: [String: String] = [:]
        for setting in all {
            let key = ConfigKey(setting.name.lowercased().split(separator: "_").map(String.init))
            if let value = reader.string(forKey: key, isSecret: setting.secret), !value.isEmpty {
                values[setting.name] = value
            } else if let value = setting.defaultValue {
                values[setting.name] = value
            }
        }
        // Settings read elsewhere that are not in the list (AWS_DEFAULT_REGION, …) still pass through.
        for (name, value) in environment where values[name] == nil { values[name] = value }
        return values
    }

    /// The whole-number setting `name` from `values`, or its default.
    public static func integer(_ name: String, in values: [String: String]) -> Int {
        Int(values[name] ?? "") ?? Int(all.first { $0.name == name }?.defaultValue ?? "") ?? 0
    }

    /// The boolean setting `name` from `values` (`true`, `1`, `yes`, `on`), or its default.
    public static func flag(_ name: String, in values: [String: String]) -> Bool {
        let text = values[name] ?? all.first { $0.name == name }?.defaultValue ?? "false"
        return ["true", "1", "yes", "on"].contains(text.lowercased())
    }

    /// Every invalid value, each with what is wrong and how to fix it.
    public static func problems(_ values: [String: String]) -> [String] {
        invalid(values).map { "\($0.name): \($0.problem)" }
    }

    /// The settings whose values fail their checks, with what is wrong and how to fix it.
    static func invalid(_ values: [String: String]) -> [(name: String, problem: String)] {
        all.compactMap { setting in
            guard let value = values[setting.name], let problem = setting.check(value) else { return nil }
            return (setting.name, problem)
        }
    }

    /// The effective values, secrets redacted, one `NAME=value` per line.
    public static func printable(_ values: [String: String]) -> String {
        all.map { setting in
            let value = values[setting.name]
            let shown: String
            switch value {
            case nil: shown = ""
            case let value? where setting.name == "AME_REDIS_URL":
                shown = (try? RedisConfiguration(url: value).redacted) ?? "***"
            case _? where setting.secret: shown = "***"
            case let value?: shown = value
            }
            return "\(setting.name)=\(shown)"
        }.joined(separator: "\n") + "\n"
    }

    /// The text of `.env.example`: every setting with its default, commented out.
    public static var example: String {
        var lines = [
            "# Every setting of `ame`, with its default. Copy to `.env` and uncomment what you change;",
            "# the environment overrides `.env`, and a command's flags override both.",
            "",
        ]
        for setting in all {
            lines.append("# \(setting.help)")
            lines.append("# \(setting.name)=\(setting.defaultValue ?? "")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension AMELambda.Options {
    /// The options set by `AME_LAMBDA_*` (checked by ``Settings/problems(_:)`` first).
    public init(settings: [String: String]) {
        self.init(
            trustedClaims: settings["AME_LAMBDA_TRUSTED_CLAIMS"].flatMap { try? AMELambda.TrustedClaims(setting: $0) },
            trustsInvoker: Settings.flag("AME_LAMBDA_TRUST_INVOKER", in: settings),
            deadlineMargin: .milliseconds(Settings.integer("AME_LAMBDA_DEADLINE_MARGIN_MS", in: settings)),
            maxEventBytes: Settings.integer("AME_LAMBDA_MAX_EVENT_BYTES", in: settings))
    }
}

extension ServerLimits {
    /// The limits set by `AME_MAX_BODY_BYTES`, `AME_MAX_QUERY_LENGTH`, `AME_REQUEST_TIMEOUT`,
    /// `AME_MAX_JSON_DEPTH`, `AME_MAX_JSON_KEYS`, `AME_MAX_STRING_BYTES` and the connection timeouts.
    public init(settings: [String: String]) {
        self.init(
            maxBodyBytes: Settings.integer("AME_MAX_BODY_BYTES", in: settings),
            maxQueryLength: Settings.integer("AME_MAX_QUERY_LENGTH", in: settings),
            requestTimeout: .seconds(Settings.integer("AME_REQUEST_TIMEOUT", in: settings)),
            json: JSONLimits(
                maxDepth: Settings.integer("AME_MAX_JSON_DEPTH", in: settings),
                maxKeys: Settings.integer("AME_MAX_JSON_KEYS", in: settings),
                maxStringBytes: Settings.integer("AME_MAX_STRING_BYTES", in: settings)),
            connections: ConnectionTimeouts(
                header: .seconds(Settings.integer("AME_HEADER_TIMEOUT", in: settings)),
                body: .seconds(Settings.integer("AME_BODY_TIMEOUT", in: settings)),
                idle: .seconds(Settings.integer("AME_IDLE_TIMEOUT", in: settings))))
    }
}

extension QueryLimits {
    /// The limits set by `AME_MAX_COMPLEXITY`, `AME_MAX_DEPTH`, `AME_MAX_QUERY_LENGTH`,
    /// `AME_MAX_QUERY_TOKENS`, `AME_MAX_QUERY_NESTING` and `AME_MAX_STRING_BYTES`.
    public init(settings: [String: String]) {
        self.init(
            maxComplexity: Settings.integer("AME_MAX_COMPLEXITY", in: settings),
            maxDepth: Settings.integer("AME_MAX_DEPTH", in: settings),
            maxQueryBytes: Settings.integer("AME_MAX_QUERY_LENGTH", in: settings),
            maxQueryTokens: Settings.integer("AME_MAX_QUERY_TOKENS", in: settings),
            maxQueryNesting: Settings.integer("AME_MAX_QUERY_NESTING", in: settings),
            maxStringBytes: Settings.integer("AME_MAX_STRING_BYTES", in: settings),
            maxDataDepth: Settings.integer("AME_MAX_DATA_DEPTH", in: settings),
            maxDataBytes: Settings.integer("AME_MAX_DATA_BYTES", in: settings),
            maxDataKeys: Settings.integer("AME_MAX_DATA_KEYS", in: settings),
            maxScanItems: Settings.integer("AME_MAX_SCAN_ITEMS", in: settings))
    }
}
