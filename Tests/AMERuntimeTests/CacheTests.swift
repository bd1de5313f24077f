import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import NIOCore
import Testing

/// The RESP client against a real `redis-server`.
@Suite struct RedisClientTests {
    @Test func commandsPipelineAndRepliesComeBackInOrder() async throws {
        guard let server = try await RedisServer.start() else { return }
        let client = RedisClient(configuration: try RedisConfiguration(url: server.url + "/2"))
        #expect(try await client.send(["SET", "a", "1"]) == .simple("OK"))
        let replies = try await client.pipeline(
            [["SET", "b", "two"], ["INCR", "a"], ["MGET", "a", "b", "missing"], ["HGET", "a", "x"]].map {
                $0.map { Array($0.utf8) }
            })
        #expect(replies[0] == .simple("OK"))
        #expect(replies[1] == .integer(2))
        #expect(replies[2] == .array([.bulk(Array("2".utf8)), .bulk(Array("two".utf8)), .bulk(nil)]))
        guard case .error(let message) = replies[3] else {
            Issue.record("a wrong-type command answers an error reply")
            return
        }
        #expect(message.hasPrefix("WRONGTYPE"))
        // Database 2 was selected: database 0 does not have the key.
        let other = RedisClient(configuration: try RedisConfiguration(url: server.url))
        #expect(try await other.send(["GET", "a"]) == .bulk(nil))
        await client.close()
        await other.close()
    }

    @Test func thePasswordInTheURLAuthenticatesAndAWrongOneIsRefused() async throws {
        guard let server = try await RedisServer.start(password: "s3cret") else { return }
        let client = RedisClient(configuration: try RedisConfiguration(url: server.url))
        #expect(try await client.send(["PING"]) == .simple("PONG"))
        let wrong = RedisClient(configuration: try RedisConfiguration(url: "redis://:nope@127.0.0.1:\(server.port)"))
        await #expect(throws: RedisError.self) { try await wrong.send(["PING"]) }
        #expect(try RedisConfiguration(url: server.url).redacted == "redis://:***@127.0.0.1:\(server.port)/0")
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "http://example") }
    }

    @Test func aStoppedServerFailsFastAndTheClientReconnectsWhenItIsBack() async throws {
        guard let server = try await RedisServer.start() else { return }
        let client = RedisClient(configuration: try RedisConfiguration(url: server.url, connections: 1))
        #expect(try await client.send(["PING"]) == .simple("PONG"))
        server.kill()
        // It fails on the closed connection or the refused reconnect, not by waiting out a timeout.
        let error = await #expect(throws: (any Error).self) { try await client.send(["PING"]) }
        #expect(error as? RedisError != .timeout)
        try await server.run()
        #expect(try await client.send(["PING"]) == .simple("PONG"))
    }

    @Test func partialRepliesWaitForTheirLastByte() throws {
        let reply = Array("*2\r\n$3\r\nabc\r\n:42\r\n".utf8)
        for cut in 1..<reply.count {
            var buffer = ByteBuffer(bytes: reply[0..<cut])
            #expect(try RESPDecoder.parse(&buffer, depth: 0) == nil)
            #expect(buffer.readableBytes == cut)
        }
        var whole = ByteBuffer(bytes: reply)
        #expect(try RESPDecoder.parse(&whole, depth: 0) == .array([.bulk(Array("abc".utf8)), .integer(42)]))
        var wrong = ByteBuffer(bytes: Array("?x\r\n".utf8))
        #expect(throws: (any Error).self) { try RESPDecoder.parse(&wrong, depth: 0) }
    }
}

/// The entity cache: reads are served from it, every write invalidates it, in this process and
/// the others, and Redis failures never fail a request.
@Suite struct HybridCacheTests {
    static let nested = """
        { contactProfileList(limit: 20) { contactProfileList { email data place { businessName corporationProfile { businessName } } } } }
        """

    /// Two engines over one store, as two processes over one DynamoDB, each with its own cache.
    struct Pair {
        let first: GraphQLEngine
        let second: GraphQLEngine
        let keys: SampleData.Keys
        let store: SQLiteStore
        let redis: String?
        let memoryMax: Int
        let tenant = Tenant(endpointId: "cache")

        init(redis: String?, memoryMax: Int = 1000) async throws {
            // Tombstones of one second (the shortest Redis allows), so that the seeded keys can be
            // cached in Redis after a short wait.
            store = try SQLiteStore(path: nil)
            self.redis = redis
            self.memoryMax = memoryMax
            first = try Self.engine(store: store, redis: redis, memoryMax: memoryMax)
            second = try Self.engine(store: store, redis: redis, memoryMax: memoryMax)
            try await first.createTables()
            keys = try await SampleData(corporations: 3, places: 10, contacts: 20, requests: 0).load(
                into: first, tenant: tenant)
            if redis != nil {
                // Both subscriptions are up before the test begins.
                for engine in [first, second] {
                    while engine.cache?.isMemoryLayerActive != true { try await Task.sleep(for: .milliseconds(20)) }
                }
                try await Task.sleep(for: .milliseconds(1100))
            }
        }

        static func engine(store: SQLiteStore, redis: String?, memoryMax: Int) throws -> GraphQLEngine {
            let configuration = CacheConfiguration(
                memoryMaxEntries: memoryMax, redis: try redis.map { try RedisConfiguration(url: $0) },
                tombstoneTTL: .seconds(1), breakerCooldown: .milliseconds(200))
            let cache = HybridCache(configuration: configuration, registry: AMESchemaRegistry.registry)
            cache.start()
            return try GraphQLEngine(registry: AMESchemaRegistry.registry, store: store, cache: cache)
        }

        /// A third process over the same store and Redis, with an empty memory layer.
        func another() throws -> GraphQLEngine {
            try Self.engine(store: store, redis: redis, memoryMax: memoryMax)
        }

        func run(_ engine: GraphQLEngine, _ query: String, _ variables: JSONObject = [:]) async -> GraphQLResponse {
            await engine.execute(GraphQLRequest(query: query, variables: variables), tenant: tenant)
        }
    }

    @Test func aRepeatedQueryIsServedFromMemoryWithTheSameAnswer() async throws {
        let pair = try await Pair(redis: nil)
        let cold = await pair.run(pair.first, Self.nested)
        let warm = await pair.run(pair.first, Self.nested)
        #expect(cold.errors.isEmpty && warm.errors.isEmpty)
        #expect(warm.data == cold.data)
        // Contacts' data and places share a level, corporations are the next.
        #expect(cold.storeCounters.callsByOperation["BatchGetItem"] == 2)
        // The list is read from the store every time; its items' relations and data are not.
        #expect(warm.storeCounters.callsByOperation == ["Query": 1])
        // 20 contacts' data, their 10 places, those places' 3 corporations.
        #expect(warm.storeCounters.cacheHits == 20 + 10 + 3)
    }

    @Test func everyKindOfWriteIsSeenByTheNextRead() async throws {
        let pair = try await Pair(redis: nil)
        let contact = pair.keys.contacts[0]
        let query = """
            query($c: String!) { contactProfile(contactUuid: $c) { email data place { businessName corporationProfile { businessName } } } }
            """
        _ = await pair.run(pair.first, query, ["c": .string(contact)])
        let writes = [
            "mutation($c: String!) { insertUpdateContactProfile(contactUuid: $c, email: \"new@example.com\", updatedBy: \"t\") { contactProfile { email } } }",
            "mutation($c: String!) { insertUpdateContactProfile(contactUuid: $c, data: {tier: \"gold\"}, updatedBy: \"t\") { contactProfile { email } } }",
            "mutation($c: String!) { insertUpdateContactProfile(contactUuid: $c, placeUuid: \"\(pair.keys.places[5])\", updatedBy: \"t\") { contactProfile { email } } }",
            "mutation { insertUpdatePlace(placeUuid: \"\(pair.keys.places[5])\", businessName: \"Renamed\", updatedBy: \"t\") { place { placeUuid } } }",
        ]
        for write in writes {
            let response = await pair.run(pair.first, write, ["c": .string(contact)])
            #expect(response.errors.isEmpty, "\(response.errors)")
        }
        let after = await pair.run(pair.first, query, ["c": .string(contact)])
        let profile = after.data?["contactProfile"]
        #expect(profile?["email"] == "new@example.com")
        #expect(profile?["data"]?["tier"] == "gold")
        #expect(profile?["place"]?["businessName"] == "Renamed")
        let deleted = await pair.run(
            pair.first, "mutation($c: String!) { deleteContactProfile(contactUuid: $c) { ok } }",
            ["c": .string(contact)])
        #expect(deleted.errors.isEmpty)
        let gone = await pair.run(pair.first, query, ["c": .string(contact)])
        #expect(gone.errorCodes == ["ENTITY_NOT_FOUND"])
    }

    @Test func theMemoryLayerStaysWithinItsSize() async throws {
        let pair = try await Pair(redis: nil, memoryMax: 10)
        _ = await pair.run(pair.first, Self.nested)
        let statistics = try #require(pair.first.cache?.statistics)
        // 33 distinct items read into 10 places.
        #expect(statistics.evictions == 33 - 10)
    }

    @Test func anUpdateThroughOneProcessIsReadThroughTheOther() async throws {
        guard let server = try await RedisServer.start() else { return }
        let pair = try await Pair(redis: server.url)
        let place = pair.keys.places[0]
        let query = "query($p: String!) { place(placeUuid: $p) { businessName } }"
        // Both caches hold the place (the second from Redis).
        _ = await pair.run(pair.first, query, ["p": .string(place)])
        let fromRedis = await pair.run(pair.second, query, ["p": .string(place)])
        #expect(fromRedis.storeCounters.storeCalls == 0)
        _ = await pair.run(pair.second, query, ["p": .string(place)])
        #expect(try #require(pair.second.cache?.statistics).memoryHits >= 1)
        var delays: [Duration] = []
        for round in 0..<10 {
            let name = "Name \(round)"
            let update = await pair.run(
                pair.first,
                "mutation($p: String!, $n: String) { insertUpdatePlace(placeUuid: $p, businessName: $n, updatedBy: \"t\") { place { businessName } } }",
                ["p": .string(place), "n": .string(name)])
            #expect(update.errors.isEmpty)
            // From the acknowledgement, the other process serves the new value once the pub/sub
            // message has reached it; it never goes back to the old one.
            let acknowledged = ContinuousClock.now
            var seen = false
            while !seen && ContinuousClock.now - acknowledged < .seconds(5) {
                seen =
                    await pair.run(pair.second, query, ["p": .string(place)]).data?["place"]?["businessName"]
                    == .string(name)
            }
            #expect(seen)
            delays.append(ContinuousClock.now - acknowledged)
            for _ in 0..<3 {
                let again = await pair.run(pair.second, query, ["p": .string(place)])
                #expect(again.data?["place"]?["businessName"] == .string(name))
            }
        }
        print("cache: an update through one process was served by the other after at most \(delays.max()!)")
    }

    @Test func redisDyingMidLoadFailsNoRequestAndHitsResumeWhenItIsBack() async throws {
        guard let server = try await RedisServer.start() else { return }
        let pair = try await Pair(redis: server.url)
        let reads = [Self.nested, "{ corporationProfileList { corporationProfileList { businessName data } } }"]
        var failures = 0
        for round in 0..<60 {
            if round == 20 { server.kill() }
            if round == 40 { try await server.run() }
            let engine = round % 2 == 0 ? pair.first : pair.second
            let response = await pair.run(engine, reads[round % reads.count])
            if !response.errors.isEmpty { failures += 1 }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(failures == 0)
        let before = try #require(pair.second.cache?.statistics)
        #expect(before.redisErrors > 0)
        // The subscription comes back by itself, and with it both layers.
        for engine in [pair.first, pair.second] {
            let deadline = ContinuousClock.now + .seconds(10)
            while engine.cache?.isMemoryLayerActive != true && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        _ = await pair.run(pair.second, Self.nested)
        let warm = await pair.run(pair.second, Self.nested)
        #expect(warm.storeCounters.callsByOperation["BatchGetItem"] == nil)
        // Redis answers again: a process with an empty memory reads what the others put there.
        // (Processes that reconnect move everyone to a new key space, so it may take a round.)
        var redisHits = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while redisHits == 0 && ContinuousClock.now < deadline {
            _ = await pair.run(pair.first, Self.nested)
            let third = try pair.another()
            while third.cache?.isMemoryLayerActive != true { try await Task.sleep(for: .milliseconds(20)) }
            _ = await pair.run(third, Self.nested)
            redisHits = third.cache?.statistics.redisHits ?? 0
            await third.cache?.shutdown()
        }
        #expect(redisHits > 0)
    }

    @Test func invalidationMessagesSurviveTheirEncoding() {
        let keys = [
            TableKey(table: "ame-places", key: ItemKey(partition: "a#b:c", sort: "x:y")),
            TableKey(table: "ame-attribute_values", key: ItemKey(partition: "t#default", sort: "A#contact#1")),
        ]
        #expect(HybridCache.keys(inMessage: HybridCache.message(keys)) == keys)
        #expect(HybridCache.keys(inMessage: Array("K9:short".utf8)) == [])
    }
}
