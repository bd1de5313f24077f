import AMERuntime
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Two real `ame serve` processes on one real `redis-server`: a tenant's capacity units are one
/// budget whichever instance serves it, and a refused request is a 429 over a real socket.
@Suite(.serialized) struct RateLimitProcessTests {
    static let limitsFile = """
        {
          "default": "standard",
          "classes": {
            "standard": {"readUnitsPerSecond": 1000, "writeUnitsPerSecond": 1000},
            "small": {"readUnitsPerSecond": 0.05, "writeUnitsPerSecond": 1, "readBurst": 0.5, "writeBurst": 10}
          },
          "tenants": {"acme": "small"}
        }
        """

    /// `ame serve` on a free loopback port over its own data folder, with `environment`.
    static func serve(_ binary: URL, folder: URL, environment: [String: String]) async throws -> (RunningProcess, Int) {
        let data = folder.appendingPathComponent(UUID().uuidString).path
        let process = try RunningProcess(
            binary, ["serve", "--data-dir", data, "--host", "127.0.0.1", "--port", "0"],
            environment: ProcessCoverage.environment().merging(environment) { $1 }, folder: folder)
        guard try await process.waitFor("/graphql"), let range = process.output.range(of: "http://127.0.0.1:"),
            let end = process.output[range.upperBound...].firstIndex(of: "/"),
            let port = Int(process.output[range.upperBound..<end])
        else {
            process.stop()
            throw MotoServer.Unavailable(description: "ame serve did not start: \(process.errorOutput)")
        }
        return (process, port)
    }

    /// A query for `endpoint` on the server at `port`: its status, `Retry-After` and body.
    static func query(_ port: Int, endpoint: String) async throws -> (status: Int, retryAfter: String?, body: JSONValue)
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/graphql")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(endpoint, forHTTPHeaderField: "X-Endpoint-Id")
        request.httpBody = Data(#"{"query": "{ placeList { placeList { businessName } } }"}"#.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (
            http.statusCode, http.value(forHTTPHeaderField: "Retry-After"), try JSONValue.parse(bytes: Array(data))
        )
    }

    @Test func aTenantsBudgetSpentThroughOneInstanceIsRefusedByTheOtherUntilItRefills() async throws {
        guard let binary = AMEBinary.url else {
            #expect(!MotoServer.integrationRequired, "the ame binary was not built next to the tests")
            print("RateLimitProcessTests: skipped, the ame binary is missing")
            return
        }
        guard let redis = try await RedisServer.start() else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ame-rate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("limits.json")
        try Data(Self.limitsFile.utf8).write(to: file)
        let environment = ["AME_RATE_LIMITS_FILE": file.path, "AME_REDIS_URL": redis.url]
        let (first, firstPort) = try await Self.serve(binary, folder: folder, environment: environment)
        defer { first.stop() }
        let (second, secondPort) = try await Self.serve(binary, folder: folder, environment: environment)
        defer { second.stop() }

        // The first instance admits acme and charges what the query cost (a Query costs at least
        // half a unit) to the bucket in Redis: half a unit at once, so it is now empty or in debt.
        let spent = try await Self.query(firstPort, endpoint: "acme")
        #expect(spent.status == 200, "\(spent.body)")
        let cost = try #require(spent.body["extensions"]?["cost"]?["readUnits"].flatMap(Self.number))
        #expect(cost >= 0.5)
        let client = RedisClient(configuration: try RedisConfiguration(url: redis.url))
        defer { Task { await client.close() } }
        #expect(try await client.send(["EXISTS", "ame:rate:acme#default"]) == .integer(1))

        // It takes at least 10 seconds at 0.05 units a second to hold half a unit again: meanwhile
        // the other instance refuses acme, and so does the first.
        for port in [secondPort, firstPort] {
            let refused = try await Self.query(port, endpoint: "acme")
            #expect(refused.status == 429, "\(refused.body)")
            let error = refused.body["errors"]?.arrayValue.first
            #expect(error?["extensions"]?["code"] == "RATE_LIMITED")
            let seconds = try #require(error?["extensions"]?["retryAfterSeconds"]?.intValue)
            #expect(refused.retryAfter == String(seconds))
            #expect((1...Int(cost / 0.05) + 1).contains(seconds), "\(seconds) s after spending \(cost) units")
            #expect(refused.body["data"] == nil)
            #expect(refused.body["extensions"]?["cost"]?["storeCalls"] == .int(0))
            #expect(error?["message"]?.stringValue?.contains("0.05 read units per second, 0.5 at once") == true)
        }
        // Another tenant is not affected, on either instance.
        #expect(try await Self.query(secondPort, endpoint: "globex").status == 200)
        #expect(try await Self.query(firstPort, endpoint: "globex").status == 200)

        // After the advertised wait, acme is admitted again.
        let refused = try await Self.query(secondPort, endpoint: "acme")
        let wait = try #require(refused.retryAfter.flatMap { Int($0) })
        try await Task.sleep(for: .seconds(wait))
        let again = try await Self.query(secondPort, endpoint: "acme")
        #expect(again.status == 200, "\(again.body)")

        // The refusals are in the metrics of the instance that refused, by class (no tenant id),
        // and so are the units its requests cost.
        let (metrics, _) = try await URLSession.shared.data(
            from: URL(string: "http://127.0.0.1:\(secondPort)/metrics")!)
        let lines = String(decoding: metrics, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.contains("ame_rate_limited_total{kind=\"read\",tenant_class=\"small\"} 2"), "\(lines)")
        #expect(lines.contains("ame_rate_limited_total{kind=\"write\",tenant_class=\"standard\"} 0"))
        #expect(lines.contains("ame_rate_limit_fallbacks_total 0"))
        let smallQueries = lines.first {
            $0.hasPrefix("ame_capacity_units_total{kind=\"read\",operation=\"Query\",tenant_class=\"small\"}")
        }
        let units = try #require(smallQueries?.split(separator: " ").last.flatMap { Double($0) })
        #expect(units >= 0.5, "acme's admitted Query on this instance")
        #expect(!lines.contains { $0.contains("acme") })
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }
}
