extension GraphQLEngine {
    /// Whether `tenant`'s request, estimated at `estimate`, may run now; `nil` when it may (or
    /// when rate limits are off). Called after the complexity check, before anything is read.
    func admission(for tenant: Tenant, estimate: CapacityUnits) async -> RateLimitRefusal? {
        await rateLimiter?.admit(tenant, estimate: estimate)
    }

    /// After a request ran: its capacity units by store operation go to the metrics, and what it
    /// cost (each call at DynamoDB's own figure where it gave one) is charged to its tenant's buckets.
    func settle(_ response: GraphQLResponse, for tenant: Tenant) async {
        let tenantClass = rateLimiter?.limits.tenantClass(of: tenant).name ?? RateLimits.unlimitedClass
        metrics.recordCapacityUnits(response.storeCounters.unitsByOperation, tenantClass: tenantClass)
        await rateLimiter?.charge(tenant, units: response.storeCounters.billedUnits)
    }
}
