import AMERuntime
import Foundation
import Logging
import Metrics
import Prometheus
import Synchronization

/// Logs, metrics and traces of a serving process.
public enum Observability {
    /// Sends swift-log records as JSON lines to standard error, at `level` and above, and
    /// swift-metrics to a Prometheus registry (served at `GET /metrics`). Call once per process.
    public static func bootstrap(level: Logger.Level) -> PrometheusCollectorRegistry {
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        registerAtZero()
        return registry
    }
}

extension Observability {
    /// Creates every series whose label values are known in advance at 0: the runtime's, the
    /// readiness checks, and the latency of anonymous operations.
    static func registerAtZero() {
        RuntimeMetrics.registerAtZero()
        _ = AMEHTTPServer.HTTPMetrics(factory: MetricsSystem.factory)
    }
}

/// One JSON object per line: `{"time", "level", "message", "logger", …metadata}`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let output: @Sendable (String) -> Void

    public init(label: String, output: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.output = output
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object = JSONObject()
        object["time"] = .string(Timestamp.now().iso8601)
        object["level"] = .string(event.level.rawValue)
        object["message"] = .string(event.message.description)
        object["logger"] = .string(label)
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() { object[key] = Self.json(merged[key]!) }
        output(JSONValue.object(object).jsonText + "\n")
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let value):
            if let number = value as? Int {
                .int(number)
            } else if let number = value as? Double {
                .double(number)
            } else {
                .string(value.description)
            }
        case .array(let values): .array(values.map(json))
        case .dictionary(let values):
            .object(JSONObject(values.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) }))
        }
    }
}
