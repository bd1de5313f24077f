/// The items of the runtime's own tables (``RuntimeTables``), built in one place: the write path
/// and the migration from the original service store exactly the same shapes.
public enum RuntimeItems {
    /// The `version` after `item`'s (an entity row or an active-`data` item): 1 for a new one.
    /// Writes are guarded by the version they read, so every write of an item raises it.
    public static func nextVersion(after item: Item?) -> Int {
        guard case .number(let text)? = item?["version"] else { return 1 }
        return (Int(text) ?? 0) + 1
    }

    /// One version of one `data` attribute (`active` or `inactive`).
    public static func attributeVersion(
        tenant: Tenant, dataType: String, id: String, attribute: String, version: String, value: ItemValue,
        status: String, updatedBy: String, createdAt: String, updatedAt: String
    ) -> Item {
        [
            tenantAttribute: .string(tenant.partitionKey),
            RuntimeTables.attributeValueKey: .string(
                RuntimeTables.versionKey(dataType: dataType, id: id, attribute: attribute, version: version)),
            "data_type_attribute_name": .string("\(dataType)-\(attribute)"),
            "data_type": .string(dataType),
            "attribute_name": .string(attribute),
            "value_version_uuid": .string(version),
            "data_identity": .string(id),
            "value": value,
            "status": .string(status),
            "endpoint_id": .string(tenant.endpointId),
            "part_id": .string(tenant.partId),
            "updated_by": .string(updatedBy),
            "created_at": .string(createdAt),
            "updated_at": .string(updatedAt),
        ]
    }

    /// What the active-data item records of an attribute's active version.
    public static func activeVersionEntry(version: String, updatedBy: ItemValue, createdAt: ItemValue) -> ItemValue {
        .map(["v": .string(version), "by": updatedBy, "at": createdAt])
    }

    /// An entity's active `data`: every attribute's active value, and its version (one item, so
    /// `data` for N entities is one batch read).
    public static func activeData(
        tenant: Tenant, dataType: String, id: String, values: [String: ItemValue], versions: [String: ItemValue],
        version: Int, updatedAt: String
    ) -> Item {
        [
            "version": .number(String(version)),
            tenantAttribute: .string(tenant.partitionKey),
            RuntimeTables.attributeValueKey: .string(RuntimeTables.activeDataKey(dataType: dataType, id: id)),
            "data_type": .string(dataType),
            "data_identity": .string(id),
            "values": .map(values),
            "versions": .map(versions),
            "updated_at": .string(updatedAt),
        ]
    }

    /// The text a `unique` field's value is guarded by; `nil` for values that are not guarded.
    public static func uniqueGuardText(_ value: ItemValue) -> String? {
        switch value {
        case .string(let text), .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        default: nil
        }
    }

    /// The guard that claims one value of a `unique` field for its owner.
    public static func uniqueGuard(tenant: Tenant, entity: String, field: String, value: String, owner: String) -> Item
    {
        [
            tenantAttribute: .string(tenant.partitionKey),
            RuntimeTables.uniqueValueKey: .string(
                RuntimeTables.uniqueValueKeyFor(entity: entity, field: field, value: value)),
            "owner": .string(owner),
        ]
    }

    /// One audit record. `timestamp` orders the records of an id; `event` makes the key unique.
    public static func history(
        tenant: Tenant, id: String, type: String, timestamp: String, event: String, log: String,
        diff: [String: ItemValue], updatedBy: String
    ) -> Item {
        [
            tenantAttribute: .string(tenant.partitionKey),
            RuntimeTables.activityHistoryKey: .string(
                RuntimeTables.activityHistoryKeyFor(id: id, timestamp: timestamp, event: event)),
            "id": .string(id),
            "type": .string(type),
            "type_timestamp": .string(RuntimeTables.typeTimestampFor(type: type, timestamp: timestamp)),
            "timestamp": .string(timestamp),
            "log": .string(log),
            "data_diff": .map(diff),
            "updated_by": .string(updatedBy),
            "endpoint_id": .string(tenant.endpointId),
            "part_id": .string(tenant.partId),
        ]
    }
}
