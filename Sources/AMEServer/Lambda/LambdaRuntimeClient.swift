import AMERuntime
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One invocation as `GET /2018-06-01/runtime/invocation/next` hands it out.
public struct LambdaInvocation: Sendable {
    public var requestId: String
    /// When Lambda stops the function (`Lambda-Runtime-Deadline-Ms`, milliseconds since 1970).
    public var deadlineMilliseconds: Int64
    public var invokedFunctionArn: String?
    public var traceId: String?
    public var clientContext: String?
    public var cognitoIdentity: String?
    /// The event; `nil` when it is larger than the client accepts (it is reported as an
    /// invocation error, not read).
    public var event: [UInt8]?

    public init(
        requestId: String, deadlineMilliseconds: Int64, invokedFunctionArn: String? = nil, traceId: String? = nil,
        clientContext: String? = nil, cognitoIdentity: String? = nil, event: [UInt8]?
    ) {
        self.requestId = requestId
        self.deadlineMilliseconds = deadlineMilliseconds
        self.invokedFunctionArn = invokedFunctionArn
        self.traceId = traceId
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.event = event
    }

    /// The time left before the deadline, from `now` (milliseconds since 1970).
    public func remaining(now: Int64 = LambdaInvocation.nowMilliseconds()) -> Duration {
        .milliseconds(deadlineMilliseconds - now)
    }

    public static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// What an invocation or the initialization failed with, as the Runtime API takes it:
/// `{"errorMessage", "errorType", "stackTrace"}` and the `Lambda-Runtime-Function-Error-Type` header.
public struct LambdaFunctionError: Error, Sendable, Equatable {
    public var type: String
    public var message: String

    public init(type: String, message: String) {
        self.type = type
        self.message = message
    }

    var body: JSONValue {
        ["errorMessage": .string(message), "errorType": .string(type), "stackTrace": []]
    }
}

/// The AWS Lambda Runtime API (version 2018-06-01) at `AWS_LAMBDA_RUNTIME_API`, over
/// AsyncHTTPClient: the next invocation, its response or error, and the initialization error.
/// Used by the Lambda host (``AMELambda``).
public final class LambdaRuntimeClient: Sendable {
    /// `http://HOST:PORT/2018-06-01/runtime`.
    let base: String
    let maxEventBytes: Int
    let httpClient: HTTPClient

    /// `runtimeAPI` is `HOST:PORT`, as Lambda sets `AWS_LAMBDA_RUNTIME_API`.
    public init(runtimeAPI: String, maxEventBytes: Int) throws(LambdaFunctionError) {
        let hostPort = runtimeAPI.trimmingCharacters(in: .whitespaces)
        guard !hostPort.isEmpty, !hostPort.contains("/"), URL(string: "http://\(hostPort)/")?.host != nil else {
            throw LambdaFunctionError(
                type: "Runtime.InvalidRuntimeAPI",
                message: "AWS_LAMBDA_RUNTIME_API must be HOST:PORT, not `\(runtimeAPI)`")
        }
        base = "http://\(hostPort)/2018-06-01/runtime"
        self.maxEventBytes = maxEventBytes
        // `next` waits as long as the function is idle: no read timeout.
        httpClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: nil)))
    }

    public func shutdown() async {
        try? await httpClient.shutdown()
    }

    /// Waits for the next invocation.
    public func next() async throws -> LambdaInvocation {
        let response = try await httpClient.execute(
            HTTPClientRequest(url: "\(base)/invocation/next"), deadline: .distantFuture)
        guard response.status == .ok else {
            let text = try? await response.body.collect(upTo: 64 * 1024)
            throw RuntimeAPIError(
                description:
                    "GET invocation/next answered \(response.status.code): \(text.map { String(buffer: $0) } ?? "")")
        }
        let headers = response.headers
        guard let requestId = headers.first(name: "Lambda-Runtime-Aws-Request-Id"), Self.isSafe(requestId) else {
            throw RuntimeAPIError(
                description: "invocation/next answered without a usable Lambda-Runtime-Aws-Request-Id")
        }
        guard let deadline = headers.first(name: "Lambda-Runtime-Deadline-Ms").flatMap({ Int64($0) }) else {
            throw RuntimeAPIError(description: "invocation/next answered without Lambda-Runtime-Deadline-Ms")
        }
        var event: [UInt8]?
        do {
            event = Array(buffer: try await response.body.collect(upTo: maxEventBytes))
        } catch is NIOTooManyBytesError {
            event = nil
        }
        return LambdaInvocation(
            requestId: requestId, deadlineMilliseconds: deadline,
            invokedFunctionArn: headers.first(name: "Lambda-Runtime-Invoked-Function-Arn"),
            traceId: headers.first(name: "Lambda-Runtime-Trace-Id"),
            clientContext: headers.first(name: "Lambda-Runtime-Client-Context"),
            cognitoIdentity: headers.first(name: "Lambda-Runtime-Cognito-Identity"), event: event)
    }

    /// What the Runtime API said to a response or an error.
    public enum Outcome: Sendable, Equatable {
        case accepted
        /// 413: the payload is over Lambda's limit.
        case payloadTooLarge
        /// 400 or 403: not taken (an unknown request id, a response already sent).
        case refused(String)
    }

    /// `POST invocation/{id}/response`.
    public func respond(_ requestId: String, body: [UInt8]) async throws -> Outcome {
        try await post("\(base)/invocation/\(requestId)/response", body: body, errorType: nil)
    }

    /// `POST invocation/{id}/error`.
    public func fail(_ requestId: String, _ error: LambdaFunctionError) async throws -> Outcome {
        try await post(
            "\(base)/invocation/\(requestId)/error", body: Array(error.body.jsonText.utf8), errorType: error.type)
    }

    /// `POST init/error`: the function could not start; Lambda then stops the process.
    public func initFailed(_ error: LambdaFunctionError) async throws -> Outcome {
        try await post("\(base)/init/error", body: Array(error.body.jsonText.utf8), errorType: error.type)
    }

    private func post(_ url: String, body: [UInt8], errorType: String?) async throws -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let errorType { request.headers.add(name: "Lambda-Runtime-Function-Error-Type", value: errorType) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await httpClient.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 64 * 1024))
        switch response.status.code {
        case 200..<300: return .accepted
        case 413: return .payloadTooLarge
        case 400, 403: return .refused("\(response.status.code): \(text)")
        default:
            // 500: the Runtime API is broken; Lambda expects the runtime to exit.
            throw RuntimeAPIError(description: "POST \(url) answered \(response.status.code): \(text)")
        }
    }

    /// Request ids go into a URL path: only the characters Lambda uses in them.
    static func isSafe(_ requestId: String) -> Bool {
        (1...256).contains(requestId.utf8.count)
            && requestId.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                    || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E
            }
    }

    /// The Runtime API itself failed: the process cannot go on serving.
    public struct RuntimeAPIError: Error, CustomStringConvertible {
        public var description: String
    }
}
