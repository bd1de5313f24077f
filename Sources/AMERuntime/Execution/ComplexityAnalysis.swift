/// Measures a query before execution: cost 1 per field, the children of a list field multiplied
/// by its `limit` (or the default page size), and the nesting depth.
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

    func measure(_ fields: [CollectedField], typeName: String) throws(AMEError) -> (complexity: Int, depth: Int) {
        try measure(fields, typeName: typeName, level: 1)
    }

    private func measure(
        _ fields: [CollectedField], typeName: String, level: Int
    ) throws(AMEError) -> (
        complexity: Int, depth: Int
    ) {
        let maxDepth = limits.maxDepth
        guard level <= maxDepth else { throw AMEError.queryTooDeep(depth: level, maxDepth: maxDepth) }
        var complexity = 0
        var depth = 0
        for field in fields {
            let (cost, fieldDepth) = try measure(field, parentType: typeName, level: level)
            complexity = complexity.addingReportingOverflow(cost).overflow ? Int.max : complexity + cost
            depth = max(depth, fieldDepth)
        }
        return (complexity, depth)
    }

    private func measure(_ field: CollectedField, parentType: String, level: Int) throws(AMEError) -> (Int, Int) {
        guard field.first.selectionSet != nil else { return (1, 1) }
        guard let (childType, multiplier) = try childType(of: field, parentType: parentType) else { return (1, 1) }
        // Introspection is priced like other fields, and `__schema` as the whole schema it answers
        // (one per type); its nesting (`ofType { ofType … }`) is bounded by the document's
        // nesting, not by the query depth, so the standard introspection query stays accepted.
        let introspection = childType.hasPrefix("__")
        let surcharge = field.name == "__schema" && introspection ? engine.schema.typeMap.count : 0
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
            let children = try collector.collectChildren(of: field, typeName: childType)
            let measured = try measure(children, typeName: childType, level: introspection ? level : level + 1)
            child = (measured.complexity, measured.depth)
            memo[key] = child
        }
        let product = child.cost.multipliedReportingOverflow(by: max(multiplier, 1))
        let cost = product.overflow ? Int.max : product.partialValue
        return (cost == Int.max ? Int.max : cost + 1 + surcharge, introspection ? child.depth : child.depth + 1)
    }

    /// The object types of introspection's fields (GraphQL spec §4.2), by parent type.
    static let introspectionChildren: [String: [String: String]] = [
        "Query": ["__schema": "__Schema", "__type": "__Type"],
        "__Schema": [
            "types": "__Type", "queryType": "__Type", "mutationType": "__Type", "subscriptionType": "__Type",
            "directives": "__Directive",
        ],
        "__Type": [
            "fields": "__Field", "interfaces": "__Type", "possibleTypes": "__Type", "enumValues": "__EnumValue",
            "inputFields": "__InputValue", "ofType": "__Type",
        ],
        "__Field": ["args": "__InputValue", "type": "__Type"],
        "__InputValue": ["type": "__Type"],
        "__Directive": ["args": "__InputValue"],
    ]

    /// The type a field's selection applies to, and how many times it may repeat.
    private func childType(of field: CollectedField, parentType: String) throws(AMEError) -> (String, Int)? {
        let limits = self.limits
        func limit() throws(AMEError) -> Int {
            let arguments = try ArgumentCoercion.arguments(of: field.first, variables: collector.variables)
            return arguments["limit"]?.intValue ?? limits.defaultPageSize
        }
        if let introspected = Self.introspectionChildren[parentType]?[field.name] { return (introspected, 1) }
        if parentType == "Query" || parentType == engine.mutationTypeName {
            switch engine.rootFields[field.name] {
            case .get(let entity)?: return (entity.graphQLType, 1)
            case .list(let entity)?: return (entity.graphQL.listType, try limit())
            case .upsert(let entity)?: return (entity.graphQL.upsertPayload, 1)
            case .delete(let entity)?: return (entity.graphQL.deletePayload, 1)
            case .system(let root)?: return root.childType(limit: try limit())
            default: return nil
            }
        }
        if let entity = engine.entitiesByType[parentType] {
            if let index = entity.relationIndex(graphQLName: field.name) {
                let relation = entity.relations[index]
                guard let target = engine.entitiesByName[relation.target] else { return nil }
                return relation.kind == .belongsTo ? (target.graphQLType, 1) : (target.graphQL.listType, try limit())
            }
            if let index = entity.fieldIndex(graphQLName: field.name), entity.fields[index].jsonScalar == nil,
                case .object(let name, _) = entity.fields[index].type
            {
                return (name, 1)
            }
            return nil
        }
        if let system = SystemRoot.childType(parent: parentType, field: field.name) { return (system, 1) }
        for entity in engine.registry.entities {
            if parentType == entity.graphQL.listType && field.name == entity.graphQL.listField {
                return (entity.graphQLType, 1)
            }
            if parentType == entity.graphQL.upsertPayload && field.name == entity.graphQL.getField {
                return (entity.graphQLType, 1)
            }
        }
        return nil
    }
}
