/// The tenant a request acts for. It comes from the credential (or, in development on loopback,
/// from headers), never from GraphQL arguments.
public struct Tenant: Sendable, Hashable {
    public let endpointId: String
    public let partId: String
    /// The stored partition key, `"<endpoint_id>#<part_id>"`, composed once: every key a request
    /// reads starts with it.
    public let partitionKey: String

    public init(endpointId: String, partId: String = "default") {
        self.endpointId = endpointId
        self.partId = partId
        partitionKey = CompositeKey.encode([endpointId, partId])
    }

    public static func == (lhs: Tenant, rhs: Tenant) -> Bool {
        ItemKey.sameBytes(lhs.endpointId, rhs.endpointId) && ItemKey.sameBytes(lhs.partId, rhs.partId)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(endpointId)
        hasher.combine(partId)
    }
}
