import AMERuntime
import Testing

/// The cache's settings: off unless enabled, each value read and each wrong value refused with
/// the setting's name and how to fix it.
@Suite struct CacheConfigurationTests {
    @Test func theCacheIsOffUnlessEnabled() throws {
        for value in [nil, "", "0", "false", "No", "OFF"] as [String?] {
            let environment = value.map { ["AME_CACHE_ENABLED": $0] } ?? [:]
            #expect(try CacheConfiguration.fromEnvironment(environment) == nil, "\(value ?? "unset")")
        }
    }

    @Test func theEnabledCacheReadsItsSettings() throws {
        let defaults = try #require(try CacheConfiguration.fromEnvironment(["AME_CACHE_ENABLED": "yes"]))
        #expect(defaults.ttl == CacheConfiguration().ttl)
        #expect(defaults.memoryMaxEntries == CacheConfiguration().memoryMaxEntries)
        #expect(defaults.redis == nil)
        let set = try #require(
            try CacheConfiguration.fromEnvironment([
                "AME_CACHE_ENABLED": "TRUE", "AME_CACHE_TTL": "42", "AME_CACHE_MEMORY_MAX": "7",
                "AME_REDIS_URL": "redis://:pw@cache:6380/3",
            ]))
        #expect(set.ttl == .seconds(42))
        #expect(set.memoryMaxEntries == 7)
        #expect(set.redis?.host == "cache")
        #expect(set.redis?.port == 6380)
        #expect(set.redis?.password == "pw")
        #expect(set.redis?.database == 3)
    }

    @Test(arguments: [
        (["AME_CACHE_ENABLED": "maybe"], "AME_CACHE_ENABLED=`maybe`: use true or false"),
        (["AME_CACHE_ENABLED": "on", "AME_CACHE_TTL": "0"], "AME_CACHE_TTL=`0`: give a number of seconds above 0"),
        (
            ["AME_CACHE_ENABLED": "on", "AME_CACHE_TTL": "soon"],
            "AME_CACHE_TTL=`soon`: give a number of seconds above 0"
        ),
        (
            ["AME_CACHE_ENABLED": "on", "AME_CACHE_MEMORY_MAX": "-5"],
            "AME_CACHE_MEMORY_MAX=`-5`: give a number of entries above 0"
        ),
    ])
    func aWrongValueIsRefusedNamingTheSetting(_ environment: [String: String], _ message: String) {
        #expect {
            try CacheConfiguration.fromEnvironment(environment)
        } throws: { error in
            (error as? CacheConfigurationError)?.description == message
        }
    }

    @Test func aWrongRedisURLIsRefusedWithTheURLsOwnError() throws {
        var expected = ""
        do {
            _ = try RedisConfiguration(url: "http://cache")
            Issue.record("http://cache was taken as a Redis URL")
        } catch {
            expected = "\(error)"
        }
        #expect(!expected.isEmpty)
        #expect {
            try CacheConfiguration.fromEnvironment(["AME_CACHE_ENABLED": "on", "AME_REDIS_URL": "http://cache"])
        } throws: { error in
            (error as? CacheConfigurationError)?.description == expected
        }
    }
}
