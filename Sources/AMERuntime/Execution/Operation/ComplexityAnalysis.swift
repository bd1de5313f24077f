/// Measures a query before execution: cost 1 per field, the children of a page field multiplied
/// by its `limit` (or the default page size), the nesting depth, and the capacity units it is
/// estimated to cost (``estimatedUnits(of:)``). What each field is comes from its plan
/// (``PlannedField``).
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
    private var memo: [MemoKey: Measure] = [:]
    private var nodes = 0

    private struct MemoKey: Hashable {
        var typeName: String
        var first: ObjectIdentifier?
        /// The selection sets of the nodes merged into the field (usually none).
        var merged: [ObjectIdentifier]
    }

    init(engine: GraphQLEngine, collector: FieldCollector, limits: QueryLimits) {
        self.engine = engine
        self.collector = collector
        self.limits = limits
    }

    /// What a selection costs.
    struct Measure {
        var complexity = 0
        var depth = 0
        /// The capacity units estimated for one object the selection applies to (a page's count
        /// is priced with the page, not per item).
        var units = CapacityUnits.zero
        /// Whether the selection is of a page that counts its `total`.
        var selectsTotal = false
    }

    func measure(_ fields: [CollectedField]) throws(AMEError) -> Measure {
        try measure(fields, level: 1)
    }

    private func measure(_ fields: [CollectedField], level: Int) throws(AMEError) -> Measure {
        let maxDepth = limits.maxDepth
        guard level <= maxDepth else { throw AMEError.queryTooDeep(depth: level, maxDepth: maxDepth) }
        var total = Measure()
        for field in fields {
            let measured = try measure(field, level: level)
            total.complexity =
                total.complexity.addingReportingOverflow(measured.complexity).overflow
                ? Int.max : total.complexity + measured.complexity
            total.depth = max(total.depth, measured.depth)
            total.units += measured.units
        }
        return total
    }

    /// The units a field's own store calls are estimated to cost, for one parent object: an item
    /// is assumed to weigh ``assumedItemBytes``, so a read of one is 1 unit and a page of `limit`
    /// items `limit / 4`; a write is a transaction of the item, its index entries, its `data`
    /// version and its audit record. The actual units are measured (``StoreSession``).
    static func estimatedUnits(of plan: FieldPlan, limit: Int, selectsTotal: Bool) -> CapacityUnits {
        let page = CapacityRules.readUnits(bytes: limit * assumedItemBytes, consistent: true)
        switch plan {
        case .get, .belongsTo, .data: return CapacityUnits(read: 1)
        case .list, .hasMany: return CapacityUnits(read: selectsTotal ? 2 * page : page)
        case .upsert(let entity), .delete(let entity): return write(items: 3 + entity.indexes.count)
        case .system(let root):
            switch root {
            case .attributeValueList, .activityHistoryList: return CapacityUnits(read: page)
            case .attributeValue, .activityHistory: return CapacityUnits(read: 1)
            case .insertUpdateAttributeValue, .deleteAttributeValue, .insertActivityHistory, .deleteActivityHistory:
                return write(items: 2)
            case .presignedUploadUrl: return .zero
            }
        default: return .zero
        }
    }

    /// A transaction of `items` items of the assumed size, after one read.
    private static func write(items: Int) -> CapacityUnits {
        let each = CapacityRules.writeUnits(bytes: assumedItemBytes, transactional: true)
        return CapacityUnits(read: 1, write: each * Double(items))
    }

    /// The size assumed of an item before it is read.
    static let assumedItemBytes = 1024

    private func measure(_ field: CollectedField, level: Int) throws(AMEError) -> Measure {
        guard field.first.selectionSet != nil, let childType = field.planned.childType else {
            let units = Self.estimatedUnits(of: field.plan, limit: limits.defaultPageSize, selectsTotal: false)
            return Measure(complexity: 1, depth: 1, units: units)
        }
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
            typeName: childType, first: field.first.selectionSet.map(ObjectIdentifier.init),
            merged: field.merged.compactMap { $0.selectionSet.map(ObjectIdentifier.init) })
        let child: Measure
        if let known = memo[key] {
            child = known
        } else {
            nodes += 1
            guard nodes <= Self.nodeCap else {
                throw AMEError.queryTooComplex(complexity: Int.max, maxComplexity: limits.maxComplexity)
            }
            let children = try collector.collectChildren(of: field)
            var measured = try measure(children, level: introspection ? level : level + 1)
            measured.selectsTotal = children.selectsTotal
            child = measured
            memo[key] = child
        }
        let product = child.complexity.multipliedReportingOverflow(by: max(multiplier, 1))
        let cost = product.overflow ? Int.max : product.partialValue
        let own = Self.estimatedUnits(of: field.plan, limit: max(multiplier, 1), selectsTotal: child.selectsTotal)
        let repeated = Double(max(multiplier, 1))
        return Measure(
            complexity: cost == Int.max ? Int.max : cost + 1 + surcharge,
            depth: introspection ? child.depth : child.depth + 1,
            units: own + CapacityUnits(read: child.units.read * repeated, write: child.units.write * repeated))
    }
}
