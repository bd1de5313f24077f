import AMERuntime
import AMEServer
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The real `ame lambda` process against a Runtime API peer on loopback that follows AWS's
/// published API, over moto_server: every event type answered as `ame serve` answers the same
/// HTTP request, bad events, deadlines, init failures and a long run's memory.
@Suite(.serialized) struct LambdaProcessTests {
    /// Tables (under a fresh prefix) on moto_server, seeded for tenant `acme`, with an API key.
    struct Stack {
        let binary: URL
        let folder: URL
        let environment: [String: String]
        let apiKey: String

        static func make(seed: Bool = true) async throws -> Stack? {
            guard let binary = AMEBinary.url else {
                #expect(!MotoServer.integrationRequired, "the ame binary was not built next to the tests")
                print("LambdaProcessTests: skipped, the ame binary is missing (AME_REQUIRE_INTEGRATION=1 requires it)")
                return nil
            }
            guard let moto = try await MotoServer.shared.start() else { return nil }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "ame-lambda-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let apiKey = "ame_test_\(UUID().uuidString)"
            let keys = folder.appendingPathComponent("keys")
            try "\(TenantResolver.hash(apiKey)) acme default\n".write(to: keys, atomically: true, encoding: .utf8)
            var environment = ProcessCoverage.environment()
            for (name, value) in [
                "AME_STORE": "dynamodb", "AME_TABLE_PREFIX": "l\(UUID().uuidString.prefix(8).lowercased())-",
                "AWS_ENDPOINT_URL_DYNAMODB": moto.absoluteString, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AME_API_KEYS_FILE": keys.path,
                "AME_LOG_LEVEL": "warning",
            ] {
                environment[name] = value
            }
            let stack = Stack(binary: binary, folder: folder, environment: environment, apiKey: apiKey)
            if seed {
                let created = try await stack.run(["tables", "create"])
                #expect(created.status == 0, "\(created.output)")
                let seeded = try await stack.run([
                    "seed", "--endpoint-id", "acme", "--corporations", "2", "--places", "3", "--contacts", "5",
                    "--requests", "2",
                ])
                #expect(seeded.status == 0, "\(seeded.output)")
            }
            return stack
        }

        func with(_ changes: [String: String?]) -> Stack {
            var environment = environment
            for (name, value) in changes { environment[name] = value }
            return Stack(binary: binary, folder: folder, environment: environment, apiKey: apiKey)
        }

        func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
            let process = try RunningProcess(binary, arguments, environment: environment, folder: folder)
            let status = try await process.waitForExit(seconds: 120) ?? -1
            process.stop()
            return (status, process.output + process.errorOutput)
        }

        /// `ame lambda` against `peer`, once it says it is serving (`nil` if it stopped first).
        func lambda(_ peer: LambdaRuntimePeer, arguments: [String] = ["lambda"]) async throws -> RunningProcess {
            var environment = environment
            environment["AWS_LAMBDA_RUNTIME_API"] = peer.address
            return try RunningProcess(
                binary, arguments, environment: environment, folder: folder, detach: { peer.stop() })
        }

        /// `ame serve` on a free loopback port; its base URL.
        func serve() async throws -> (RunningProcess, URL) {
            let server = try RunningProcess(
                binary, ["serve", "--port", "0"], environment: environment, folder: folder)
            guard try await server.waitFor("/graphql"), let range = server.output.range(of: "http://127.0.0.1:"),
                let end = server.output[range.upperBound...].firstIndex(of: "/"),
                let port = Int(server.output[range.upperBound..<end])
            else {
                server.stop()
                throw MotoServer.Unavailable(description: "ame serve did not start: \(server.errorOutput)")
            }
            return (server, URL(string: "http://127.0.0.1:\(port)")!)
        }
    }

    /// One HTTP request, sent to `ame serve` directly and to `ame lambda` as an event.
    struct Exchange {
        var method: String
        var path: String
        var query: [(String, String)] = []
        var headers: [(String, String)] = []
        var body: String?

        var queryString: String {
            query.map { "\(HTTPEventBuilder.encode($0.0))=\(HTTPEventBuilder.encode($0.1))" }.joined(separator: "&")
        }
    }

    struct HTTPAnswer: Equatable, CustomStringConvertible {
        var status: Int
        var contentType: String?
        var requestId: String?
        var body: String
        var description: String { "\(status) \(contentType ?? "-") \(requestId ?? "-") \(body.prefix(300))" }
    }

    static func send(_ exchange: Exchange, to base: URL) async throws -> HTTPAnswer {
        var components = URLComponents(url: base.appendingPathComponent(exchange.path), resolvingAgainstBaseURL: false)!
        if !exchange.query.isEmpty { components.percentEncodedQuery = exchange.queryString }
        var request = URLRequest(url: components.url!)
        request.httpMethod = exchange.method
        for (name, value) in exchange.headers { request.addValue(value, forHTTPHeaderField: name) }
        if let body = exchange.body { request.httpBody = Data(body.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return HTTPAnswer(
            status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type"),
            requestId: http.value(forHTTPHeaderField: "X-Request-Id"), body: String(decoding: data, as: UTF8.self))
    }

    /// The HTTP answer inside an API Gateway / Function URL response payload.
    static func decode(_ answer: LambdaRuntimePeer.Answer) -> HTTPAnswer? {
        guard answer.kind == "response", let json = answer.json, let status = json["statusCode"]?.intValue else {
            return nil
        }
        var body = json["body"]?.stringValue ?? ""
        if json["isBase64Encoded"] == .bool(true) {
            body = String(decoding: Data(base64Encoded: body) ?? Data(), as: UTF8.self)
        }
        func header(_ name: String) -> String? {
            guard case .object(let headers)? = json["headers"] else { return nil }
            return headers.pairs.first { $0.0.lowercased() == name.lowercased() }?.1.stringValue
        }
        return HTTPAnswer(
            status: status, contentType: header("Content-Type"), requestId: header("X-Request-Id"), body: body)
    }

    static let contactsQuery =
        "{ contactProfileList(limit: 10) { contactProfileList { email place { businessName corporationProfile { businessName } } } } }"

    /// Requests covering the server's answers: data, variables over GET, a parse error, a
    /// mutation over GET, no credential, a bad body, health.
    func exchanges(_ stack: Stack) -> [Exchange] {
        let auth = ("Authorization", "Bearer \(stack.apiKey)")
        let json = ("Content-Type", "application/json")
        return [
            Exchange(
                method: "POST", path: "graphql", headers: [auth, json, ("X-Request-Id", "r-1")],
                body: (["query": .string(Self.contactsQuery)] as JSONValue).jsonText),
            Exchange(
                method: "GET", path: "graphql",
                query: [
                    ("query", "query Q($n: Int) { contactProfileList(limit: $n) { contactProfileList { email } } }"),
                    ("variables", "{\"n\": 2}"), ("operationName", "Q"),
                ], headers: [auth, ("X-Request-Id", "r-2")]),
            Exchange(
                method: "POST", path: "graphql", headers: [auth, json, ("X-Request-Id", "r-3")],
                body: "{\"query\": \"{ contactProfileList(\"}"),
            Exchange(
                method: "GET", path: "graphql",
                query: [("query", "mutation { deleteContactProfile(contactUuid: \"x\") { ok } }")],
                headers: [auth, ("X-Request-Id", "r-4")]),
            Exchange(
                method: "POST", path: "graphql", headers: [json, ("X-Request-Id", "r-5")],
                body: (["query": .string(Self.contactsQuery)] as JSONValue).jsonText),
            Exchange(method: "POST", path: "graphql", headers: [auth, json, ("X-Request-Id", "r-6")], body: "[1, 2]"),
            Exchange(method: "GET", path: "health", headers: [("X-Request-Id", "r-7")]),
        ]
    }

    @Test func everyHTTPEventTypeIsAnsweredAsAmeServeAnswersTheSameRequest() async throws {
        guard let stack = try await Stack.make() else { return }
        let peer = try await LambdaRuntimePeer.start()
        defer { peer.stop() }
        let lambda = try await stack.lambda(peer)
        defer { lambda.stop() }
        #expect(try await lambda.waitFor("ame: serving Lambda invocations"), "\(lambda.errorOutput)")
        let (server, base) = try await stack.serve()
        defer { server.stop() }

        for exchange in exchanges(stack) {
            let served = try await Self.send(exchange, to: base)
            for format in HTTPEventBuilder.Format.allCases {
                let answer = try await peer.invoke(HTTPEventBuilder.event(exchange, format: format))
                let decoded = Self.decode(answer)
                #expect(decoded == served, "\(format) \(exchange.method) \(exchange.path): \(answer.body.prefix(400))")
            }
        }
        // The data itself, once: the seeded contacts with their places, in 3 store calls.
        let data = try await Self.send(exchanges(stack)[0], to: base)
        let json = try JSONValue.parse(data.body)
        #expect(json["data"]?["contactProfileList"]?["contactProfileList"]?.arrayValue.count == 5)
        #expect(json["extensions"]?["cost"]?["storeCalls"] == 3)
    }

    @Test func aBase64BodyAndTheAuthorizerClaimsAreHonoured() async throws {
        guard let stack = try await Stack.make() else { return }
        let peer = try await LambdaRuntimePeer.start()
        defer { peer.stop() }
        let lambda = try await stack.with(["AME_LAMBDA_TRUSTED_CLAIMS": "tenant_id,tenant_part"]).lambda(peer)
        defer { lambda.stop() }
        #expect(try await lambda.waitFor("ame: serving Lambda invocations"), "\(lambda.errorOutput)")
        let (server, base) = try await stack.serve()
        defer { server.stop() }

        let exchange = exchanges(stack)[0]
        let served = try await Self.send(exchange, to: base)
        var event = HTTPEventBuilder.event(exchange, format: .httpAPI, base64: true)
        #expect(Self.decode(try await peer.invoke(event)) == served)

        // Without a credential, the JWT authorizer's claims name the tenant.
        var anonymous = exchange
        anonymous.headers.removeAll { $0.0 == "Authorization" }
        event = HTTPEventBuilder.event(
            anonymous, format: .httpAPI,
            authorizer: ["jwt": ["claims": ["tenant_id": "acme", "tenant_part": "default"]]])
        #expect(Self.decode(try await peer.invoke(event)) == served)
        // A REST API Lambda authorizer's flat context does too.
        event = HTTPEventBuilder.event(anonymous, format: .restAPI, authorizer: ["tenant_id": "acme"])
        #expect(Self.decode(try await peer.invoke(event)) == served)
        // Another tenant's claims see another tenant's (empty) data.
        event = HTTPEventBuilder.event(
            anonymous, format: .httpAPI, authorizer: ["jwt": ["claims": ["tenant_id": "other"]]])
        let other = try #require(Self.decode(try await peer.invoke(event)))
        #expect(
            try JSONValue.parse(other.body)["data"]?["contactProfileList"]?["contactProfileList"]?.arrayValue.isEmpty
                == true)
        // A claim that is not a tenant id is refused.
        event = HTTPEventBuilder.event(
            anonymous, format: .httpAPI, authorizer: ["jwt": ["claims": ["tenant_id": "a#b"]]])
        let refused = try #require(Self.decode(try await peer.invoke(event)))
        #expect(refused.status == 401)
        #expect(refused.body.contains("UNAUTHENTICATED"))
        // Without claims and without a credential: the server's 401, not the development tenancy.
        var developer = anonymous
        developer.headers.append(("X-Endpoint-Id", "acme"))
        let unauthenticated = try #require(
            Self.decode(try await peer.invoke(HTTPEventBuilder.event(developer, format: .httpAPI))))
        #expect(unauthenticated.status == 401)
    }

    @Test func directInvocationsAnswerWithTheGraphQLResponse() async throws {
        guard let stack = try await Stack.make() else { return }
        let (server, base) = try await stack.serve()
        defer { server.stop() }
        let served = try await Self.send(exchanges(stack)[0], to: base)
        let query: JSONValue = .string(Self.contactsQuery)

        // Untrusted caller: the tenant comes from a credential in the payload only.
        do {
            let peer = try await LambdaRuntimePeer.start()
            defer { peer.stop() }
            let lambda = try await stack.lambda(peer)
            defer { lambda.stop() }
            #expect(try await lambda.waitFor("ame: serving Lambda invocations"), "\(lambda.errorOutput)")
            let answer = try await peer.invoke(["query": query, "authorization": .string("Bearer \(stack.apiKey)")])
            #expect(answer.kind == "response")
            #expect(answer.body == served.body)
            let claimed = try await peer.invoke(["query": query, "endpoint_id": "acme"])
            #expect(claimed.json?["errors"]?.arrayValue.first?["extensions"]?["code"] == "UNAUTHENTICATED")
            #expect(claimed.body.contains("AME_LAMBDA_TRUST_INVOKER"))
            let bare = try await peer.invoke(["query": query])
            #expect(bare.json?["errors"]?.arrayValue.first?["extensions"]?["code"] == "UNAUTHENTICATED")
        }
        // Trusted caller (IAM): the payload names the tenant.
        do {
            let peer = try await LambdaRuntimePeer.start()
            defer { peer.stop() }
            let lambda = try await stack.with(["AME_LAMBDA_TRUST_INVOKER": "true", "AME_API_KEYS_FILE": nil]).lambda(
                peer)
            defer { lambda.stop() }
            #expect(try await lambda.waitFor("ame: serving Lambda invocations"), "\(lambda.errorOutput)")
            let answer = try await peer.invoke([
                "query": query, "variables": ["unused": 1], "operationName": nil, "endpoint_id": "acme",
            ])
            #expect(answer.body == served.body)
            let missing = try await peer.invoke(["query": query])
            #expect(missing.body.contains("endpoint_id"))
            #expect(missing.json?["errors"]?.arrayValue.first?["extensions"]?["code"] == "UNAUTHENTICATED")
        }
    }

    @Test func badEventsAreClearErrorsAndTheProcessKeepsServing() async throws {
        guard let stack = try await Stack.make() else { return }
        let peer = try await LambdaRuntimePeer.start()
        defer { peer.stop() }
        let lambda = try await stack.with(["AME_MAX_BODY_BYTES": "2048", "AME_LAMBDA_MAX_EVENT_BYTES": "65536"]).lambda(
            peer)
        defer { lambda.stop() }
        #expect(try await lambda.waitFor("ame: serving Lambda invocations"), "\(lambda.errorOutput)")

        let notJSON = try await peer.invoke(Array("this is not json".utf8))
        #expect(notJSON.kind == "error")
        #expect(notJSON.errorType == "AME.InvalidEvent")
        #expect(notJSON.json?["errorMessage"]?.stringValue?.contains("not JSON") == true)
        #expect(notJSON.json?["errorType"] == "AME.InvalidEvent")

        let unknown = try await peer.invoke(["Records": [["eventSource": "aws:sqs"]]])
        #expect(unknown.kind == "error")
        #expect(unknown.errorType == "AME.UnknownEvent")
        #expect(unknown.json?["errorMessage"]?.stringValue?.contains("`Records`") == true)

        let array = try await peer.invoke([1, 2, 3])
        #expect(array.errorType == "AME.InvalidEvent")

        // A body over AME_MAX_BODY_BYTES: the server's own 413.
        var big = exchanges(stack)[0]
        big.body = (["query": .string("{ __typename }" + String(repeating: " ", count: 4000))] as JSONValue).jsonText
        let tooLarge = try #require(
            Self.decode(try await peer.invoke(HTTPEventBuilder.event(big, format: .httpAPI))))
        #expect(tooLarge.status == 413)
        #expect(tooLarge.body.contains("AME_MAX_BODY_BYTES"))

        // An event over AME_LAMBDA_MAX_EVENT_BYTES is not read.
        big.body = String(repeating: "x", count: 70_000)
        let oversized = try await peer.invoke(HTTPEventBuilder.event(big, format: .httpAPI))
        #expect(oversized.kind == "error")
        #expect(oversized.errorType == "AME.EventTooLarge")

        // A body that claims base64 but is not.
        var event = HTTPEventBuilder.event(exchanges(stack)[0], format: .restAPI)
        if case .object(var object) = event {
            object["body"] = "%%%not base64"
            object["isBase64Encoded"] = true
            event = .object(object)
        }
        let badBase64 = try await peer.invoke(event)
        #expect(badBase64.errorType == "AME.InvalidEvent")

        // Still serving.
        let after = try #require(
            Self.decode(try await peer.invoke(HTTPEventBuilder.event(exchanges(stack)[0], format: .httpAPI))))
        #expect(after.status == 200)
        #expect(
            try JSONValue.parse(after.body)["data"]?["contactProfileList"]?["contactProfileList"]?.arrayValue.count == 5
        )
        #expect(lambda.process.isRunning)
    }

    @Test func anInvocationPastItsDeadlineIsAnsweredBeforeLambdaStopsIt() async throws {
        guard let stack = try await Stack.make() else { return }
        // The store answers through a proxy that delays what it is told to.
        let proxy = try await FaultProxyProcess.start(upstream: stack.environment["AWS_ENDPOINT_URL_DYNAMODB"]!)
        defer { proxy.stop() }
        let peer = try await LambdaRuntimePeer.start()
        defer { peer.stop() }
        let lambda = try await stack.with([
            "AWS_ENDPOINT_URL_DYNAMODB": proxy.endpoint.absoluteString, "AME_LAMBDA_DEADLINE_MARGIN_MS": "500",
        ]).lambda(peer)
        defer { lambda.stop() }
        #expect(try await lambda.waitFor("ame: serving Lambda invocations"), "\(lambda.errorOutput)")
        let event = HTTPEventBuilder.event(exchanges(stack)[0], format: .httpAPI)

        // The store takes 4 s; the invocation has 2 s: REQUEST_TIMEOUT goes out before the deadline.
        try await proxy.queue([("delay", target: "Query", milliseconds: 4000)])
        let late = try await peer.invoke(event, timeoutMilliseconds: 2000)
        #expect(late.kind == "response")
        #expect(late.beforeDeadline)
        let timedOut = try #require(Self.decode(late))
        #expect(timedOut.status == 504)
        #expect(timedOut.body.contains("REQUEST_TIMEOUT"))

        // Less time left than the margin: answered at once, the work not started.
        let queriesBefore = try await proxy.requests("Query")
        let hopeless = try await peer.invoke(event, timeoutMilliseconds: 300)
        #expect(hopeless.beforeDeadline)
        #expect(Self.decode(hopeless)?.status == 504)
        #expect(try await proxy.requests("Query") == queriesBefore)

        // The next invocation is served.
        let next = try #require(Self.decode(try await peer.invoke(event)))
        #expect(next.status == 200)
        #expect(
            try JSONValue.parse(next.body)["data"]?["contactProfileList"]?["contactProfileList"]?.arrayValue.count == 5)
    }

    @Test func aFailedStartIsReportedToInitErrorWithTheServersMessage() async throws {
        guard let stack = try await Stack.make(seed: false) else { return }
        let cases: [(String, Stack, String)] = [
            ("missing tables", stack, "lacks the tables"),
            ("embedded store", stack.with(["AME_STORE": "embedded"]), "DynamoDB only"),
            ("bad setting", stack.with(["AME_MAX_DEPTH": "0"]), "AME_MAX_DEPTH"),
            ("bad claims setting", stack.with(["AME_LAMBDA_TRUSTED_CLAIMS": "a,b,c"]), "AME_LAMBDA_TRUSTED_CLAIMS"),
            ("no authentication", stack.with(["AME_API_KEYS_FILE": nil]), "without authentication"),
        ]
        for (name, stack, message) in cases {
            let peer = try await LambdaRuntimePeer.start()
            defer { peer.stop() }
            let lambda = try await stack.lambda(peer)
            defer { lambda.stop() }
            let status = try await lambda.waitForExit(seconds: 60)
            #expect(status != nil && status != 0, "\(name): the process should stop")
            let state = try await peer.state()
            let body = try JSONValue.parse(state["init_error"]?["body"]?.stringValue ?? "null")
            #expect(state["init_error"]?["type"] == "AME.InitError", "\(name)")
            #expect(body["errorMessage"]?.stringValue?.contains(message) == true, "\(name): \(body)")
            #expect(lambda.errorOutput.contains(message), "\(name): the message is printed too")
            #expect(state["served"] == 0)
        }
    }

    @Test func runningAsBootstrapStartsTheLambdaRuntime() async throws {
        guard let stack = try await Stack.make() else { return }
        let bootstrap = stack.folder.appendingPathComponent("bootstrap")
        try FileManager.default.createSymbolicLink(at: bootstrap, withDestinationURL: stack.binary)
        let peer = try await LambdaRuntimePeer.start()
        defer { peer.stop() }
        var environment = stack.environment
        environment["AWS_LAMBDA_RUNTIME_API"] = peer.address
        let lambda = try RunningProcess(
            bootstrap, [], environment: environment, folder: stack.folder, detach: { peer.stop() })
        defer { lambda.stop() }
        #expect(try await lambda.waitFor("ame: serving Lambda invocations"), "\(lambda.errorOutput)")
        let answer = try await peer.invoke(HTTPEventBuilder.event(exchanges(stack)[0], format: .functionURL))
        #expect(Self.decode(answer)?.status == 200)
    }

    @Test func aThousandInvocationsInOneProcessKeepItsMemoryFlat() async throws {
        guard let stack = try await Stack.make() else { return }
        let peer = try await LambdaRuntimePeer.start()
        defer { peer.stop() }
        let lambda = try await stack.with(["AME_CACHE_ENABLED": "true"]).lambda(peer)
        defer { lambda.stop() }
        #expect(try await lambda.waitFor("ame: serving Lambda invocations"), "\(lambda.errorOutput)")
        let events = [
            HTTPEventBuilder.event(exchanges(stack)[0], format: .httpAPI),
            HTTPEventBuilder.event(exchanges(stack)[1], format: .restAPI),
            ["query": .string(Self.contactsQuery), "authorization": .string("Bearer \(stack.apiKey)")],
            "not an event",
        ]
        var answered = 0
        var afterWarmUp = 0
        for number in 0..<1000 {
            let answer = try await peer.invoke(events[number % events.count])
            if answer.kind == "response" || (answer.kind == "error" && number % events.count == 3) { answered += 1 }
            if number == 199 { afterWarmUp = lambda.residentBytes ?? 0 }
        }
        let atEnd = lambda.residentBytes ?? 0
        #expect(answered == 1000)
        #expect(afterWarmUp > 0)
        // 800 invocations after the warm-up add less than 8 MiB (10 KiB each would be 8 MiB).
        #expect(atEnd - afterWarmUp < 8 << 20, "RSS after 200: \(afterWarmUp), after 1000: \(atEnd)")
        print("LambdaProcessTests: RSS after 200 invocations \(afterWarmUp / 1024) KiB, after 1000 \(atEnd / 1024) KiB")
    }
}

/// Builds the events API Gateway and Function URLs send for an HTTP request.
enum HTTPEventBuilder {
    enum Format: CaseIterable {
        case restAPI, httpAPI, functionURL
    }

    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved)! }

    static func event(
        _ exchange: LambdaProcessTests.Exchange, format: Format, base64: Bool = false, authorizer: JSONValue? = nil
    ) -> JSONValue {
        let path = "/" + exchange.path
        var body: JSONValue = .null
        if let text = exchange.body { body = .string(base64 ? Data(text.utf8).base64EncodedString() : text) }
        switch format {
        case .restAPI:
            var headers = JSONObject()
            var multiValue = JSONObject()
            for (name, value) in exchange.headers {
                headers[name] = .string(value)
                multiValue[name] = .array((multiValue[name]?.arrayValue ?? []) + [.string(value)])
            }
            var query: JSONValue = .null
            var multiQuery: JSONValue = .null
            if !exchange.query.isEmpty {
                query = .object(JSONObject(exchange.query.map { ($0.0, .string($0.1)) }))
                multiQuery = .object(JSONObject(exchange.query.map { ($0.0, .array([.string($0.1)])) }))
            }
            var context: JSONObject = [
                "resourcePath": "/{proxy+}", "httpMethod": .string(exchange.method), "path": .string("/prod" + path),
                "stage": "prod", "domainName": "abc123.execute-api.us-east-1.amazonaws.com", "requestId": "r",
            ]
            if let authorizer { context["authorizer"] = authorizer }
            return [
                "resource": "/{proxy+}", "path": .string(path), "httpMethod": .string(exchange.method),
                "headers": .object(headers), "multiValueHeaders": .object(multiValue),
                "queryStringParameters": query, "multiValueQueryStringParameters": multiQuery,
                "pathParameters": ["proxy": .string(exchange.path)], "stageVariables": nil,
                "requestContext": .object(context), "body": body, "isBase64Encoded": .bool(base64),
            ]
        case .httpAPI, .functionURL:
            var headers = JSONObject()
            for (name, value) in exchange.headers {
                let key = name.lowercased()
                headers[key] = .string(headers[key]?.stringValue.map { $0 + "," + value } ?? value)
            }
            let domain =
                format == .functionURL
                ? "abc123.lambda-url.us-east-1.on.aws" : "abc123.execute-api.us-east-1.amazonaws.com"
            var context: JSONObject = [
                "accountId": "123456789012", "apiId": "abc123", "domainName": .string(domain),
                "http": [
                    "method": .string(exchange.method), "path": .string(path), "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1", "userAgent": "test",
                ],
                "requestId": "r", "routeKey": format == .functionURL ? "$default" : "ANY /{proxy+}",
                "stage": "$default", "timeEpoch": 1_700_000_000_000,
            ]
            if let authorizer { context["authorizer"] = authorizer }
            var event: JSONObject = [
                "version": "2.0", "routeKey": format == .functionURL ? "$default" : "ANY /{proxy+}",
                "rawPath": .string(path), "rawQueryString": .string(exchange.queryString),
                "headers": .object(headers), "requestContext": .object(context), "isBase64Encoded": .bool(base64),
            ]
            if exchange.body != nil { event["body"] = body }
            return .object(event)
        }
    }
}

/// Its own `Tests/Support/fault_proxy.py` in front of moto_server (faults queued here cannot
/// reach another test's requests).
struct FaultProxyProcess {
    let process: Process
    let endpoint: URL

    static func start(upstream: String) async throws -> FaultProxyProcess {
        guard let python = MotoServer.find("python3") else {
            throw MotoServer.Unavailable(description: "python3 is needed for the fault-injection proxy")
        }
        let port = try FreePort.find()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [FreePort.supportScript("fault_proxy.py"), String(port), upstream, String(getpid())]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard try await FreePort.waitUntilListening(port, seconds: 30) else {
            throw MotoServer.Unavailable(description: "the fault proxy did not start on port \(port)")
        }
        return FaultProxyProcess(process: process, endpoint: URL(string: "http://127.0.0.1:\(port)")!)
    }

    func queue(_ faults: [(String, target: String, milliseconds: Int)]) async throws {
        var request = URLRequest(url: endpoint.appendingPathComponent("__faults"))
        request.httpMethod = "POST"
        let list: [JSONValue] = faults.map {
            ["fault": .string($0.0), "target": .string($0.target), "milliseconds": .int($0.milliseconds)]
        }
        request.httpBody = Data((["faults": .array(list)] as JSONValue).jsonText.utf8)
        _ = try await URLSession.shared.data(for: request)
    }

    func requests(_ target: String) async throws -> Int {
        let (data, _) = try await URLSession.shared.data(from: endpoint.appendingPathComponent("__stats"))
        return try JSONValue.parse(bytes: Array(data))["requests"]?[target]?.intValue ?? 0
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
