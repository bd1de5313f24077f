/// What the executor reads of an entity's stored items for a selection: the store decodes these
/// attributes and passes over the others.
extension EntityDefinition {
    /// The attributes that resolving `fields` on this entity's objects reads, with those every
    /// read needs: the key, the tenant, each index's key attributes (a page's `lastEvaluatedKey`
    /// and the recent writes merged into a global index's page), the attributes a get checks, and
    /// `extra` (what the caller tests, such as a relation's or a filter's attribute).
    func projection(for fields: [CollectedField], extra: [String] = []) -> ReadProjection {
        var attributes = [keyAttribute, tenantAttribute] + extra
        for index in indexes {
            attributes.append(index.sortAttribute)
            if let partition = index.partitionAttribute { attributes.append(partition) }
        }
        switch get {
        case .key: break
        case .oneOf(let names), .allOf(let names): attributes += names
        }
        for field in fields {
            switch field.plan {
            case .field(let index): attributes.append(self.fields[index].attribute)
            case .belongsTo(let relation, _): attributes.append(relations[relation].viaAttribute)
            default: continue
            }
        }
        return ReadProjection(attributes)
    }
}
