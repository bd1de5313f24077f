/// Measures a query before execution: cost 1 per field, the children of a page field multiplied
/// by its `limit` (or the default page size), and the nesting depth. What each field is comes
/// from its plan (``PlannedField``).
///
/// Safe against fragment bombs: the cost of a selection is computed once per (type, selection
/// sets) and reused (memoization), measuring stops as soon as the depth limit is passed, and the
/// number of distinct selections measured is capped.
final class ComplexityAnalysis {
    let engine: GraphQLEngine
    let collector: FieldCollector
    let limits: QueryLimits
    /// Distinct selections measured at most; past it the query is refused as too complex.
    static let nodeCap = 10_000
    private var memo: [MemoKey: (cost: Int, depth: Int)] = [:]
    private var nodes = 0

    private struct MemoKey: Hashable {
        var typeName: String
        var selections: [ObjectIdentifier]
    }

    init(engine: GraphQLEngine, collector: FieldCollector, limits: QueryLimits) {
        self.engine = engine
        self.collector = collector
        self.limits = limits
    }

    func measure(_ fields: [CollectedField]) throws(AMEError) -> (complexity: Int, depth: Int) {
        try measure(fields, level: 1)
    }

    private func measure(_ fields: [CollectedField], level: Int) throws(AMEError) -> (complexity: Int, depth: Int) {
        let maxDepth = limits.maxDepth
        guard level <= maxDepth else { throw AMEError.queryTooDeep(depth: level, maxDepth: maxDepth) }
        var complexity = 0
        var depth = 0
        for field in fields {
            let (cost, fieldDepth) = try measure(field, level: level)
            complexity = complexity.addingReportingOverflow(cost).overflow ? Int.max : complexity + cost
            depth = max(depth, fieldDepth)
        }
        return (complexity, depth)
    }

    private func measure(_ field: CollectedField, level: Int) throws(AMEError) -> (Int, Int) {
        guard field.first.selectionSet != nil, let childType = field.planned.childType else { return (1, 1) }
        let multiplier: Int
        if field.planned.isPage {
            let arguments = try ArgumentCoercion.arguments(of: field.first, variables: collector.variables)
            multiplier = arguments["limit"]?.intValue ?? limits.defaultPageSize
        } else {
            multiplier = 1
        }
        // Introspection is priced like other fields, and `__schema` as the whole schema it answers
        // (one per type); its nesting (`ofType { ofType … }`) is bounded by the document's
        // nesting, not by the query depth, so the standard introspection query stays accepted.
        let introspection = field.planned.isIntrospection
        let surcharge = if case .schemaIntrospection = field.plan { engine.schema.typeMap.count } else { 0 }
        let key = MemoKey(
            typeName: childType, selections: field.nodes.compactMap { $0.selectionSet.map(ObjectIdentifier.init) })
        let child: (cost: Int, depth: Int)
        if let known = memo[key] {
            child = known
        } else {
            nodes += 1
            guard nodes <= Self.nodeCap else {
                throw AMEError.queryTooComplex(complexity: Int.max, maxComplexity: limits.maxComplexity)
            }
            let children = try collector.collectChildren(of: field)
            let measured = try measure(children, level: introspection ? level : level + 1)
            child = (measured.complexity, measured.depth)
            memo[key] = child
        }
        let product = child.cost.multipliedReportingOverflow(by: max(multiplier, 1))
        let cost = product.overflow ? Int.max : product.partialValue
        return (cost == Int.max ? Int.max : cost + 1 + surcharge, introspection ? child.depth : child.depth + 1)
    }
}
