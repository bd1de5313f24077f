import AMERuntime
import Foundation
import Testing

/// `AME_RATE_LIMITS_FILE`: what it may hold, and every way a wrong or hostile file is refused
/// with where in it, what is wrong and how to fix it.
@Suite struct RateLimitsFileTests {
    static let valid = """
        {
          "default": "standard",
          "classes": {
            "standard": {"readUnitsPerSecond": 50, "writeUnitsPerSecond": 10, "readBurst": 200, "writeBurst": 40},
            "bulk": {"readUnitsPerSecond": 500.5, "writeUnitsPerSecond": 100}
          },
          "tenants": {"acme": "bulk", "acme#eu": "standard"}
        }
        """

    @Test func classesTenantsAndTheDefaultAreRead() throws {
        let limits = try RateLimits.parse(Self.valid)
        #expect(limits.classNames == ["bulk", "standard"])
        let bulk = try #require(limits.classes["bulk"])
        #expect(bulk.readUnitsPerSecond == 500.5)
        #expect(bulk.readBurst == 500.5, "a burst left out is one second's worth")
        #expect(bulk.writeBurst == 100)
        #expect(limits.classes["standard"]?.writeBurst == 40)
        // `endpoint#part` over `endpoint`, then the default.
        #expect(limits.tenantClass(of: Tenant(endpointId: "acme")).name == "bulk")
        #expect(limits.tenantClass(of: Tenant(endpointId: "acme", partId: "eu")).name == "standard")
        #expect(limits.tenantClass(of: Tenant(endpointId: "acme", partId: "us")).name == "bulk")
        #expect(limits.tenantClass(of: Tenant(endpointId: "zeta")).name == "standard")
        // Ids are compared as bytes: a look-alike is another tenant.
        #expect(limits.tenantClass(of: Tenant(endpointId: "ACME")).name == "standard")
        #expect(limits.tenantClass(of: Tenant(endpointId: "acme\u{301}")).name == "standard")
        let accents = try RateLimits.parse(
            #"{"default": "a", "classes": {"a": {"readUnitsPerSecond": 1, "writeUnitsPerSecond": 1}, "b": {"readUnitsPerSecond": 2, "writeUnitsPerSecond": 2}}, "tenants": {"caf\u00e9": "b"}}"#
        )
        #expect(accents.tenantClass(of: Tenant(endpointId: "caf\u{E9}")).name == "b")
        #expect(
            accents.tenantClass(of: Tenant(endpointId: "cafe\u{301}")).name == "a",
            "canonically equal, but other bytes: another tenant")
    }

    /// Each file, and the start of where it is wrong and what is wrong.
    static let invalid: [(file: String, problem: String)] = [
        ("", "byte 0 is not JSON"),
        ("[]", "the file must be a JSON object"),
        (
            #"{"default": "a", "classes": {"a": {"readUnitsPerSecond": 1, "writeUnitsPerSecond": 1}}, "extra": 1}"#,
            "`extra` is not a member"
        ),
        (#"{"default": "a"}"#, "`classes` must be an object of at least one class"),
        (#"{"default": "a", "classes": {}}"#, "`classes` must be an object of at least one class"),
        (#"{"classes": {"a": {"readUnitsPerSecond": 1, "writeUnitsPerSecond": 1}}}"#, "`default` must name"),
        (
            #"{"default": "b", "classes": {"a": {"readUnitsPerSecond": 1, "writeUnitsPerSecond": 1}}}"#,
            "`default` names `b`, which is not one of `classes`"
        ),
        (
            #"{"default": "a", "classes": {"a": {"readUnitsPerSecond": 1}}}"#,
            "`classes.a.writeUnitsPerSecond` is missing"
        ),
        (
            #"{"default": "a", "classes": {"a": {"readUnitsPerSecond": 0, "writeUnitsPerSecond": 1}}}"#,
            "`classes.a.readUnitsPerSecond` is 0.0: use a number of units from 0.001"
        ),
        (
            #"{"default": "a", "classes": {"a": {"readUnitsPerSecond": -5, "writeUnitsPerSecond": 1}}}"#,
            "`classes.a.readUnitsPerSecond` is -5.0"
        ),
        (
            #"{"default": "a", "classes": {"a": {"readUnitsPerSecond": 1e308, "writeUnitsPerSecond": 1}}}"#,
            "`classes.a.readUnitsPerSecond` is 1e+308"
        ),
        (
            #"{"default": "a", "classes": {"a": {"readUnitsPerSecond": "10", "writeUnitsPerSecond": 1}}}"#,
            "`classes.a.readUnitsPerSecond` must be a number"
        ),
        (
            #"{"default": "a", "classes": {"a": {"readUnitsPerSecond": 1, "writeUnitsPerSecond": 1, "readBurst": 0}}}"#,
            "`classes.a.readBurst` is 0.0"
        ),
        (
            #"{"default": "a", "classes": {"a": {"readUnitsPerSecond": 1, "writeUnitsPerSecond": 1, "burst": 5}}}"#,
            "`classes.a.burst` is not a class setting"
        ),
        (#"{"default": "a", "classes": {"a": 5}}"#, "`classes.a` must be an object"),
        (
            #"{"default": "a b", "classes": {"a b": {"readUnitsPerSecond": 1, "writeUnitsPerSecond": 1}}}"#,
            "`classes.a b` is not a class name"
        ),
        (
            #"{"default": "a\"}", "classes": {"a\"}": {"readUnitsPerSecond": 1, "writeUnitsPerSecond": 1}}}"#,
            "`classes.a\"}` is not a class name"
        ),
        (
            #"{"default": "a", "classes": {"a": {"readUnitsPerSecond": 1, "writeUnitsPerSecond": 1}}, "tenants": []}"#,
            "`tenants` must be an object"
        ),
        (
            #"{"default": "a", "classes": {"a": {"readUnitsPerSecond": 1, "writeUnitsPerSecond": 1}}, "tenants": {"x": "b"}}"#,
            "`tenants.x` must name one of the classes (a)"
        ),
        (
            #"{"default": "a", "classes": {"a": {"readUnitsPerSecond": 1, "writeUnitsPerSecond": 1}}, "tenants": {"": "a"}}"#,
            "`tenants` has an empty tenant"
        ),
        (String(repeating: "[", count: 100_000), "byte "),
    ]

    @Test(arguments: invalid.indices) func anInvalidFileIsRefusedWithWhereAndHowToFixIt(_ index: Int) {
        let (file, problem) = Self.invalid[index]
        #expect {
            _ = try RateLimits.parse(file)
        } throws: { error in
            "\(error)".hasPrefix(problem)
        }
    }

    @Test func theNumberOfClassesTenantsAndBytesIsBounded() throws {
        let bounds = RateLimits.Bounds(maxClasses: 2, maxTenants: 3, maxBytes: 4096)
        func file(classes: Int, tenants: Int) -> String {
            let classList = (0..<classes).map { #""c\#($0)": {"readUnitsPerSecond": 1, "writeUnitsPerSecond": 1}"# }
            let tenantList = (0..<tenants).map { #""t\#($0)": "c0""# }
            return
                #"{"default": "c0", "classes": {\#(classList.joined(separator: ","))}, "tenants": {\#(tenantList.joined(separator: ","))}}"#
        }
        #expect(try RateLimits.parse(file(classes: 2, tenants: 3), bounds: bounds).classNames == ["c0", "c1"])
        #expect {
            _ = try RateLimits.parse(file(classes: 3, tenants: 0), bounds: bounds)
        } throws: { error in
            "\(error)".hasPrefix("`classes` has 3 classes, more than 2 (AME_RATE_LIMITS_MAX_CLASSES)")
        }
        #expect {
            _ = try RateLimits.parse(file(classes: 1, tenants: 4), bounds: bounds)
        } throws: { error in
            "\(error)".hasPrefix("`tenants` maps 4 tenants, more than 3 (AME_RATE_LIMITS_MAX_TENANTS)")
        }
        #expect {
            _ = try RateLimits.parse(file(classes: 1, tenants: 3) + String(repeating: " ", count: 4096), bounds: bounds)
        } throws: { error in
            "\(error)".hasPrefix("the file is ")
        }
    }

    @Test func aFileIsMeasuredBeforeItIsReadAndAMissingOneIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "ame-rate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appending(path: "limits.json").path
        try Data(Self.valid.utf8).write(to: URL(fileURLWithPath: path))
        #expect(try RateLimits.read(path: path).defaultClass == "standard")
        #expect {
            _ = try RateLimits.read(path: path, bounds: RateLimits.Bounds(maxBytes: 100))
        } throws: { error in
            "\(error)".hasPrefix("the file is \(Self.valid.utf8.count) bytes, more than the 100")
        }
        try Data([0xFF, 0xFE, 0x7B]).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try RateLimits.read(path: path)
        } throws: { error in
            "\(error)" == "the file is not UTF-8 text"
        }
        #expect {
            _ = try RateLimits.read(path: folder.appending(path: "absent.json").path)
        } throws: { error in
            "\(error)".hasPrefix("the file cannot be read")
        }
    }
}
