import Foundation

/// The opaque `nextToken` of a list: the store's `lastEvaluatedKey`, bound to the tenant.
enum PageToken {
    static func encode(_ key: Item, tenant: Tenant) -> String {
        let payload: JSONValue = ["t": .string(tenant.partitionKey), "k": ItemValue.map(key).json]
        return Data(payload.jsonText.utf8).base64EncodedString()
    }

    static func decode(_ token: String, tenant: Tenant) throws(AMEError) -> Item {
        let invalid = AMEError.badUserInput("`nextToken` is not a token this API issued to you", field: "nextToken")
        guard let data = Data(base64Encoded: token),
            let payload = try? JSONValue.parse(bytes: Array(data)),
            payload["t"]?.stringValue == tenant.partitionKey,
            case .object(let key)? = payload["k"]
        else { throw invalid }
        var item: Item = [:]
        for (name, value) in key.pairs {
            switch value {
            case .string(let text): item[name] = .string(text)
            case .int, .double: item[name] = ItemValue(json: value)
            default: throw invalid
            }
        }
        guard item[tenantAttribute] == .string(tenant.partitionKey) else { throw invalid }
        return item
    }
}
