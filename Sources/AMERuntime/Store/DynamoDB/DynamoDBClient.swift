import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1

/// Where and how to reach DynamoDB: CONTRACT §4's `AWS_*` settings.
public struct DynamoDBConfiguration: Sendable {
    /// `https://dynamodb.<region>.amazonaws.com` unless an endpoint is set.
    public var endpoint: URL
    public var region: String
    public var credentials: AWSCredentials
    public var retry: RetryPolicy

    public init(endpoint: URL? = nil, region: String, credentials: AWSCredentials, retry: RetryPolicy = RetryPolicy()) {
        self.endpoint = endpoint ?? URL(string: "https://dynamodb.\(region).amazonaws.com")!
        self.region = region
        self.credentials = credentials
        self.retry = retry
    }

    /// Reads `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` and
    /// `AWS_ENDPOINT_URL_DYNAMODB` (or `AWS_ENDPOINT_URL`).
    public static func fromEnvironment(_ environment: [String: String]) throws(StoreError) -> DynamoDBConfiguration {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let accessKey = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") else {
            throw StoreError.invalidRequest(
                "the DynamoDB store needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (set them in the environment or .env)"
            )
        }
        var endpoint: URL?
        if let text = value("AWS_ENDPOINT_URL_DYNAMODB") ?? value("AWS_ENDPOINT_URL") {
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw StoreError.invalidRequest("AWS_ENDPOINT_URL_DYNAMODB `\(text)` is not an http(s) URL")
            }
            endpoint = url
        }
        return DynamoDBConfiguration(
            endpoint: endpoint, region: value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1",
            credentials: AWSCredentials(
                accessKeyId: accessKey, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN")))
    }
}

/// Capped exponential backoff with full jitter, within an overall deadline per operation.
public struct RetryPolicy: Sendable {
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// The time one operation may take, retries included.
    public var deadline: Duration
    /// The time one HTTP attempt may take.
    public var attemptTimeout: Duration

    public init(
        baseDelay: Duration = .milliseconds(25), maxDelay: Duration = .seconds(1), deadline: Duration = .seconds(10),
        attemptTimeout: Duration = .seconds(5)
    ) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.deadline = deadline
        self.attemptTimeout = attemptTimeout
    }

    /// The pause before retry number `attempt` (1-based).
    func delay(attempt: Int) -> Duration {
        let exponent = min(attempt - 1, 16)
        let ceiling = min(baseDelay * (1 << exponent), maxDelay)
        let nanoseconds = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        return .nanoseconds(Int64.random(in: 0...max(nanoseconds, 1)))
    }
}

/// An error DynamoDB answered with: its type (`ConditionalCheckFailedException`, …) and message.
struct DynamoDBServiceError: Error, CustomStringConvertible {
    var status: Int
    var type: String
    var message: String
    var body: JSONValue

    var description: String { "DynamoDB \(type) (HTTP \(status)): \(message)" }

    var isThrottling: Bool {
        ["ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"].contains(type)
    }

    var isRetryable: Bool {
        if status >= 500 { return true }
        return [
            "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
            "TransactionInProgressException", "LimitExceededException",
        ].contains(type)
    }
}

/// DynamoDB's JSON 1.0 protocol over AsyncHTTPClient (a pooled client), signed with SigV4,
/// with retries. One instance is shared by all requests of a process.
final class DynamoDBClient: Sendable {
    let configuration: DynamoDBConfiguration
    let httpClient: HTTPClient
    let signer: SigV4Signer
    let host: String
    let metrics: RuntimeMetrics

    init(configuration: DynamoDBConfiguration, httpClient: HTTPClient, metrics: RuntimeMetrics) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.metrics = metrics
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        let url = configuration.endpoint
        let defaultPort = url.scheme == "https" ? 443 : 80
        host = (url.host ?? "localhost") + (url.port.map { $0 == defaultPort ? "" : ":\($0)" } ?? "")
    }

    /// Sends one operation, retrying throttling, 5xx and connection errors until the deadline.
    /// `retryableBody` lets an operation (TransactWriteItems) say whether a resend is safe.
    func send(_ operation: String, _ payload: JSONValue) async throws -> JSONValue {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.retry.deadline
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await sendOnce(operation, payload)
            } catch let error as DynamoDBServiceError where !error.isRetryable {
                throw error
            } catch {
                if let error = error as? DynamoDBServiceError, error.isThrottling {
                    countThrottle(operation)
                }
                // Throttling, 5xx and transport errors are retried with backoff until the deadline.
                let pause = configuration.retry.delay(attempt: attempt)
                guard clock.now + pause < deadline else {
                    if let error = error as? DynamoDBServiceError { throw error }
                    throw StoreError.unavailable("DynamoDB \(operation) failed after \(attempt) attempts: \(error)")
                }
                try await Task.sleep(for: pause)
            }
        }
    }

    static let logger = Logger(label: "ame.store")

    /// `ame_store_throttles_total` and one log line (which CloudWatch's metric filter counts).
    func countThrottle(_ operation: String) {
        metrics.countThrottle(operation)
        Self.logger.warning("store request throttled", metadata: ["operation": .string(operation)])
    }

    private func sendOnce(_ operation: String, _ payload: JSONValue) async throws -> JSONValue {
        let target = "DynamoDB_20120810.\(operation)"
        var writer = JSONWriter()
        writer.write(payload)
        let body = writer.bytes
        var request = HTTPClientRequest(url: configuration.endpoint.absoluteString)
        request.method = .POST
        for (name, value) in signer.sign(host: host, target: target, body: body, date: Date()) where name != "host" {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let timeout = configuration.retry.attemptTimeout
        let response = try await httpClient.execute(
            request,
            timeout: .nanoseconds(
                timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        let json = DynamoDBStore.responseJSON(Array(buffer: buffer))
        guard response.status.code == 200 else {
            let rawType = json["__type"]?.stringValue ?? "HTTP\(response.status.code)"
            let type = rawType.split(separator: "#").last.map(String.init) ?? rawType
            let message = json["message"]?.stringValue ?? json["Message"]?.stringValue ?? "no message"
            throw DynamoDBServiceError(status: Int(response.status.code), type: type, message: message, body: json)
        }
        return json
    }
}
