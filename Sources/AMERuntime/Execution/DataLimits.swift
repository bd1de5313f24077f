/// The bounds of `data`, matched to what the stores read back: DynamoDB nests documents 32 levels
/// deep and the history record puts a value 4 levels down (`data_diff.data.<name>.new`), the
/// embedded store's item decoder reads 64 levels, and an item is at most 400 KB. A write over
/// them is `BAD_USER_INPUT` and writes nothing, so no stored value is unreadable.
struct DataLimits {
    let maxDepth: Int
    let maxBytes: Int
    let maxKeys: Int

    init(_ limits: QueryLimits) {
        maxDepth = limits.maxDataDepth
        maxBytes = limits.maxDataBytes
        maxKeys = limits.maxDataKeys
    }

    /// The attributes a write sets: names that can be part of a key, values not too deep.
    func check(_ attributes: JSONObject) throws(AMEError) {
        for (name, value) in attributes.pairs {
            if let problem = Identifiers.textProblem(name, maxBytes: Identifiers.maxAttributeNameBytes) {
                throw AMEError.badUserInput("the `data` attribute name \(problem)", field: "data")
            }
            let depth = Self.depth(of: value, stoppingPast: maxDepth)
            guard depth <= maxDepth else {
                throw AMEError.badUserInput(
                    "`data.\(name)` nests more than \(maxDepth) levels (AME_MAX_DATA_DEPTH)", field: "data")
            }
        }
    }

    /// The entity's active attributes after the write: how many, and their size.
    func checkSnapshot(_ values: [String: ItemValue]) throws(AMEError) {
        guard values.count <= maxKeys else {
            throw AMEError.badUserInput(
                "`data` would have \(values.count) attributes, more than \(maxKeys) (AME_MAX_DATA_KEYS)", field: "data")
        }
        let bytes = ItemValue.map(values).json.jsonText.utf8.count
        guard bytes <= maxBytes else {
            throw AMEError.badUserInput(
                "`data` would take \(bytes) bytes, more than \(maxBytes) (AME_MAX_DATA_BYTES)", field: "data")
        }
    }

    /// The nesting of arrays and objects in `value`, counted no further than `limit + 1`.
    static func depth(of value: JSONValue, stoppingPast limit: Int) -> Int {
        var deepest = 0
        var stack: [(JSONValue, Int)] = [(value, 0)]
        while let (next, level) = stack.popLast() {
            switch next {
            case .array(let elements):
                deepest = max(deepest, level + 1)
                if deepest > limit { return deepest }
                stack.append(contentsOf: elements.map { ($0, level + 1) })
            case .object(let object):
                deepest = max(deepest, level + 1)
                if deepest > limit { return deepest }
                stack.append(contentsOf: object.values.map { ($0, level + 1) })
            default: continue
            }
        }
        return deepest
    }
}
