/// How a get root field finds its row, decided from its arguments and the entity's get shape
/// (`get:` in the YAML): by key (one BatchGetItem key, shared with the level), or by a unique
/// field (one Query of the field's local index).
enum GetLookup {
    /// The row with this key; each listed attribute must hold the given value, else the row is
    /// not found (`get: { all_of: … }`).
    case key(String, mustMatch: [(attribute: String, value: ItemValue)])
    /// The row whose unique field (`attribute`, served by index `index` in the tenant's
    /// partition; `isGlobal`: eventually consistent, its entry read again by key) holds `value`.
    case unique(attribute: String, index: String, isGlobal: Bool, value: String)

    init(entity: EntityDefinition, arguments: [String: JSONValue]) throws(AMEError) {
        func text(_ field: FieldDefinition) throws(AMEError) -> String? {
            guard let value = arguments[field.graphQLName], !value.isNull else { return nil }
            guard let text = value.stringValue, !text.isEmpty else {
                throw AMEError.badUserInput(
                    "`\(field.graphQLName)` must be a non-empty string", field: field.graphQLName)
            }
            return text
        }
        let keyField = entity.keyField
        switch entity.get {
        case .key:
            guard let key = try text(keyField) else {
                throw AMEError.badUserInput("`\(keyField.graphQLName)` is required", field: keyField.graphQLName)
            }
            self = .key(key, mustMatch: [])
        case .allOf(let attributes):
            var key: String?
            var matches: [(String, ItemValue)] = []
            for attribute in attributes {
                guard let field = entity.field(attribute: attribute) else { continue }
                guard let value = try text(field) else {
                    throw AMEError.badUserInput("`\(field.graphQLName)` is required", field: field.graphQLName)
                }
                if attribute == entity.keyAttribute { key = value } else { matches.append((attribute, .string(value))) }
            }
            guard let key else {
                throw AMEError.badUserInput("`\(keyField.graphQLName)` is required", field: keyField.graphQLName)
            }
            self = .key(key, mustMatch: matches)
        case .oneOf(let attributes):
            let fields = attributes.compactMap(entity.field(attribute:))
            var given: [(FieldDefinition, String)] = []
            for field in fields {
                if let value = try text(field) { given.append((field, value)) }
            }
            guard given.count == 1, let (field, value) = given.first else {
                let names = fields.map { "`\($0.graphQLName)`" }.joined(separator: ", ")
                throw AMEError.badUserInput(
                    "give exactly one of \(names) (\(given.isEmpty ? "none" : "\(given.count)") given)",
                    field: given.first?.0.graphQLName ?? fields.first?.graphQLName)
            }
            if field.attribute == entity.keyAttribute {
                self = .key(value, mustMatch: [])
            } else {
                // The generator guarantees an index of the tenant sorted by every non-key `one_of`
                // field; a local one is preferred (strongly consistent).
                let sorted = entity.indexes.filter { $0.isTenantSorted(by: field.attribute) }
                let index = sorted.first { !$0.isGlobal } ?? sorted.first
                self = .unique(
                    attribute: field.attribute, index: index?.name ?? "", isGlobal: index?.isGlobal ?? false,
                    value: value)
            }
        }
    }

    /// Whether a row read by key holds every value the get requires.
    func accepts(_ item: Item) -> Bool {
        guard case .key(_, let matches) = self else { return true }
        return matches.allSatisfy { WritePath.sameValue(item[$0.attribute], $0.value) }
    }

    /// The key or value the client asked for, for `ENTITY_NOT_FOUND`.
    var requested: String {
        switch self {
        case .key(let key, _): key
        case .unique(_, _, _, let value): value
        }
    }
}
