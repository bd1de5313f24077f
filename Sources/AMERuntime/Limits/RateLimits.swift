import Foundation

/// The two kinds of DynamoDB capacity a tenant's requests spend, each with its own bucket.
public enum CapacityKind: String, Sendable, CaseIterable {
    case read
    case write
}

/// One tenant class of `AME_RATE_LIMITS_FILE`: how many capacity units per second its tenants
/// may spend, and how many they may spend at once (the bucket's capacity).
public struct RateLimitClass: Sendable, Equatable {
    public var name: String
    public var readUnitsPerSecond: Double
    public var writeUnitsPerSecond: Double
    public var readBurst: Double
    public var writeBurst: Double

    public init(
        name: String, readUnitsPerSecond: Double, writeUnitsPerSecond: Double, readBurst: Double? = nil,
        writeBurst: Double? = nil
    ) {
        self.name = name
        self.readUnitsPerSecond = readUnitsPerSecond
        self.writeUnitsPerSecond = writeUnitsPerSecond
        self.readBurst = readBurst ?? readUnitsPerSecond
        self.writeBurst = writeBurst ?? writeUnitsPerSecond
    }

    public func unitsPerSecond(_ kind: CapacityKind) -> Double {
        kind == .read ? readUnitsPerSecond : writeUnitsPerSecond
    }

    public func burst(_ kind: CapacityKind) -> Double { kind == .read ? readBurst : writeBurst }
}

/// Per-tenant rate limits in capacity units (`AME_RATE_LIMITS_FILE`): the tenant classes, which
/// class each listed tenant is in, and the class of every other tenant. ``RateLimiter`` enforces it.
public struct RateLimits: Sendable, Equatable {
    /// The classes by name; at most ``Bounds/maxClasses`` (each is a metric label).
    public var classes: [String: RateLimitClass]
    /// The class of tenants the file does not list.
    public var defaultClass: String
    /// Class names by the bytes of an `endpoint_id` or `endpoint_id#part_id` (the latter wins):
    /// ids are compared as bytes, never as canonically equal text.
    public var tenants: [[UInt8]: String]

    /// The tenant class of every request when no rate limits are configured (a metric label).
    public static let unlimitedClass = "default"

    /// What a rate limits file may hold.
    public struct Bounds: Sendable, Equatable {
        /// Tenant classes (`AME_RATE_LIMITS_MAX_CLASSES`): each is a label of the rate metrics.
        public var maxClasses: Int
        /// Tenants mapped to a class (`AME_RATE_LIMITS_MAX_TENANTS`).
        public var maxTenants: Int
        /// The file's size, in bytes.
        public var maxBytes: Int

        public init(maxClasses: Int = 16, maxTenants: Int = 100_000, maxBytes: Int = 16 << 20) {
            self.maxClasses = maxClasses
            self.maxTenants = maxTenants
            self.maxBytes = maxBytes
        }
    }

    public init(classes: [RateLimitClass], defaultClass: String, tenants: [(tenant: String, tenantClass: String)] = [])
    {
        self.classes = Dictionary(classes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.defaultClass = defaultClass
        self.tenants = Dictionary(tenants.map { (Array($0.tenant.utf8), $0.tenantClass) }, uniquingKeysWith: { $1 })
    }

    /// The class names, sorted (the label values of the rate metrics).
    public var classNames: [String] { classes.keys.sorted() }

    /// The class of `tenant`: its `endpoint#part` entry, else its endpoint's, else the default.
    public func tenantClass(of tenant: Tenant) -> RateLimitClass {
        let name = tenants[Array(tenant.partitionKey.utf8)] ?? tenants[Array(tenant.endpointId.utf8)] ?? defaultClass
        return classes[name] ?? classes[defaultClass]!
    }

    /// The largest rate or burst a class may declare.
    static let maxUnits = 10_000_000.0
    /// The smallest: a bucket refills from its deepest debt within a bounded time (its key's expiry).
    static let minUnits = 0.001

    /// Reads and parses the file at `path` (``parse(_:bounds:)``); its size is checked before it is read.
    public static func read(path: String, bounds: Bounds = Bounds()) throws(RateLimitsError) -> RateLimits {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        guard let size else {
            throw RateLimitsError(at: "the file", "cannot be read: check the path and its permissions")
        }
        guard size <= bounds.maxBytes else { throw tooLarge(size, bounds) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RateLimitsError(at: "the file", "cannot be read: check the path and its permissions")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RateLimitsError(at: "the file", "is not UTF-8 text")
        }
        return try parse(text, bounds: bounds)
    }

    private static func tooLarge(_ size: Int, _ bounds: Bounds) -> RateLimitsError {
        RateLimitsError(
            at: "the file",
            "is \(size) bytes, more than the \(bounds.maxBytes) a rate limits file may have: map tenants by endpoint_id rather than by part"
        )
    }

    /// Reads the rate limits file:
    ///
    /// ```json
    /// {
    ///   "default": "standard",
    ///   "classes": {
    ///     "standard": {"readUnitsPerSecond": 50, "writeUnitsPerSecond": 10, "readBurst": 200, "writeBurst": 40},
    ///     "bulk": {"readUnitsPerSecond": 500, "writeUnitsPerSecond": 100}
    ///   },
    ///   "tenants": {"acme": "bulk", "acme#eu": "standard"}
    /// }
    /// ```
    ///
    /// A burst left out is one second's worth of units. Every problem names its place in the file
    /// and how to fix it.
    public static func parse(_ text: String, bounds: Bounds = Bounds()) throws(RateLimitsError) -> RateLimits {
        guard text.utf8.count <= bounds.maxBytes else { throw tooLarge(text.utf8.count, bounds) }
        let root: JSONValue
        do {
            root = try JSONValue.parse(text)
        } catch {
            throw RateLimitsError(at: "byte \(error.offset)", "is not JSON (\(error.reason))")
        }
        guard case .object(let top) = root else {
            throw RateLimitsError(at: "the file", "must be a JSON object with `default`, `classes` and `tenants`")
        }
        for key in top.keys where !["default", "classes", "tenants"].contains(key) {
            throw RateLimitsError(
                at: "`\(key)`", "is not a member of a rate limits file: use `default`, `classes`, `tenants`")
        }
        guard case .object(let classMembers)? = top["classes"], !classMembers.isEmpty else {
            throw RateLimitsError(
                at: "`classes`",
                "must be an object of at least one class, e.g. {\"standard\": {\"readUnitsPerSecond\": 50, \"writeUnitsPerSecond\": 10}}"
            )
        }
        guard classMembers.count <= bounds.maxClasses else {
            throw RateLimitsError(
                at: "`classes`",
                "has \(classMembers.count) classes, more than \(bounds.maxClasses) (AME_RATE_LIMITS_MAX_CLASSES): each is a metric label, so merge classes or raise the setting"
            )
        }
        var classes: [RateLimitClass] = []
        for (name, value) in classMembers.pairs {
            classes.append(try parseClass(name, value))
        }
        guard case .string(let defaultClass)? = top["default"] else {
            throw RateLimitsError(at: "`default`", "must name the class of tenants not listed in `tenants`")
        }
        guard classMembers[defaultClass] != nil else {
            throw RateLimitsError(at: "`default`", "names `\(defaultClass)`, which is not one of `classes`")
        }
        var tenants: [(tenant: String, tenantClass: String)] = []
        switch top["tenants"] {
        case nil, .null?: break
        case .object(let members)?:
            guard members.count <= bounds.maxTenants else {
                throw RateLimitsError(
                    at: "`tenants`",
                    "maps \(members.count) tenants, more than \(bounds.maxTenants) (AME_RATE_LIMITS_MAX_TENANTS): map by endpoint_id, or raise the setting"
                )
            }
            for (tenant, value) in members.pairs {
                guard !tenant.isEmpty else {
                    throw RateLimitsError(
                        at: "`tenants`", "has an empty tenant: use an endpoint_id or endpoint_id#part_id")
                }
                guard case .string(let name) = value, classMembers[name] != nil else {
                    throw RateLimitsError(
                        at: "`tenants.\(tenant)`",
                        "must name one of the classes (\(classMembers.keys.sorted().joined(separator: ", ")))")
                }
                tenants.append((tenant, name))
            }
        case _?:
            throw RateLimitsError(
                at: "`tenants`", "must be an object of tenant to class name, e.g. {\"acme\": \"bulk\"}")
        }
        return RateLimits(classes: classes, defaultClass: defaultClass, tenants: tenants)
    }

    private static func parseClass(_ name: String, _ value: JSONValue) throws(RateLimitsError) -> RateLimitClass {
        let place = "classes.\(name)"
        guard !name.isEmpty, name.utf8.count <= 64,
            name.utf8.allSatisfy({ $0.isASCIILetterOrDigit || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else {
            throw RateLimitsError(
                at: "`\(place)`", "is not a class name: use 1 to 64 letters, digits, `_` or `-` (it is a metric label)")
        }
        guard case .object(let members) = value else {
            throw RateLimitsError(
                at: "`\(place)`", "must be an object like {\"readUnitsPerSecond\": 50, \"writeUnitsPerSecond\": 10}")
        }
        let known = ["readUnitsPerSecond", "writeUnitsPerSecond", "readBurst", "writeBurst"]
        for key in members.keys where !known.contains(key) {
            throw RateLimitsError(
                at: "`\(place).\(key)`", "is not a class setting: use \(known.joined(separator: ", "))")
        }
        func number(_ key: String, required: Bool) throws(RateLimitsError) -> Double? {
            let value: Double
            switch members[key] {
            case nil:
                guard !required else {
                    throw RateLimitsError(at: "`\(place).\(key)`", "is missing: give units per second")
                }
                return nil
            case .int(let number)?: value = Double(number)
            case .double(let number)?: value = number
            case _?: throw RateLimitsError(at: "`\(place).\(key)`", "must be a number of capacity units")
            }
            guard value >= minUnits, value <= maxUnits else {
                throw RateLimitsError(
                    at: "`\(place).\(key)`", "is \(value): use a number of units from 0.001 to \(Int(maxUnits))")
            }
            return value
        }
        let limit = RateLimitClass(
            name: name, readUnitsPerSecond: try number("readUnitsPerSecond", required: true)!,
            writeUnitsPerSecond: try number("writeUnitsPerSecond", required: true)!,
            readBurst: try number("readBurst", required: false), writeBurst: try number("writeBurst", required: false))
        return limit
    }
}

extension UInt8 {
    fileprivate var isASCIILetterOrDigit: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}

/// A rate limits file that cannot be used: where in it, what is wrong and how to fix it.
public struct RateLimitsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var place: String
    public var problem: String

    init(at place: String, _ problem: String) {
        self.place = place
        self.problem = problem
    }

    public var description: String { "\(place) \(problem)" }
}
