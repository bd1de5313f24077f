/// The rules by which YAML names map to GraphQL and Swift names.
public enum Naming {
    /// `contact_uuid` → `contactUuid`; `email-index` → `emailIndex`.
    public static func camelCase(_ name: String) -> String {
        let parts = name.split(whereSeparator: { $0 == "_" || $0 == "-" })
        guard let first = parts.first else { return name }
        return first.lowercasingFirst() + parts.dropFirst().map { $0.capitalizingFirst() }.joined()
    }

    /// `contact_uuid` → `ContactUuid`.
    public static func pascalCase(_ name: String) -> String {
        camelCase(name).capitalizingFirst()
    }

    /// `ContactProfile` → `contactProfile`.
    public static func lowerFirst(_ name: String) -> String {
        name.lowercasingFirst()
    }

    /// The GraphQL object type of an entity: `ContactProfile` → `ContactProfileType`.
    public static func objectTypeName(_ entity: String) -> String { entity + "Type" }

    /// The GraphQL list type of an entity: `ContactProfileListType`.
    public static func listTypeName(_ entity: String) -> String { entity + "ListType" }

    /// The get root field: `contactProfile`.
    public static func getField(_ entity: String) -> String { lowerFirst(entity) }

    /// The list root field, and the list field inside the list type: `contactProfileList`.
    public static func listField(_ entity: String) -> String { lowerFirst(entity) + "List" }

    /// The upsert mutation: `insertUpdateContactProfile`.
    public static func upsertField(_ entity: String) -> String { "insertUpdate" + entity }

    /// The upsert payload type: `InsertUpdateContactProfile`.
    public static func upsertPayload(_ entity: String) -> String { "InsertUpdate" + entity }

    /// The delete mutation: `deleteContactProfile`.
    public static func deleteField(_ entity: String) -> String { "delete" + entity }

    /// The delete payload type: `DeleteContactProfile`.
    public static func deletePayload(_ entity: String) -> String { "Delete" + entity }

    /// The GraphQL output type of a shared object type: `Address` → `AddressType`.
    public static func objectOutputType(_ name: String) -> String { name + "Type" }

    /// The GraphQL input type of a shared object type: `Address` → `AddressInput`.
    public static func objectInputType(_ name: String) -> String { name + "Input" }

    /// Whether `name` is a valid GraphQL name (`/[_A-Za-z][_0-9A-Za-z]*/`).
    public static func isValidGraphQLName(_ name: String) -> Bool {
        guard let first = name.utf8.first else { return false }
        func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
        guard isLetter(first) else { return false }
        return name.utf8.allSatisfy { isLetter($0) || ($0 >= 48 && $0 <= 57) }
    }
}

extension StringProtocol {
    fileprivate func capitalizingFirst() -> String {
        guard let first else { return "" }
        return first.uppercased() + dropFirst()
    }

    fileprivate func lowercasingFirst() -> String {
        guard let first else { return "" }
        return first.lowercased() + dropFirst()
    }
}
