/// The tenant a request acts for. It comes from the credential (or, in development on loopback,
/// from headers), never from GraphQL arguments.
public struct Tenant: Sendable, Hashable {
    public var endpointId: String
    public var partId: String

    public init(endpointId: String, partId: String = "default") {
        self.endpointId = endpointId
        self.partId = partId
    }

    /// The stored partition key, `"<endpoint_id>#<part_id>"`.
    public var partitionKey: String { CompositeKey.encode([endpointId, partId]) }
}
