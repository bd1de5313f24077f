/// A synthetic schema of any size, shaped like a real one: each entity has scalar, list and
/// object fields, two local indexes, a `belongsTo` to the previous entity, a `hasMany` back, and
/// every third entity has `data`.
enum SyntheticSchema {
    static let settings = """
        table_prefix: "bench-"
        types:
          Location:
            fields:
              street: String
              city: String
              latitude: Float
              longitude: Float
        """

    static func entityName(_ index: Int) -> String { "Entity\(index)" }

    static func fileName(_ index: Int) -> String { "entity_\(index).yaml" }

    static func entity(_ index: Int, of count: Int) -> String {
        var text = """
            entity: \(entityName(index))
            table: entities_\(index)
            description: Synthetic entity number \(index).
            key: entity_\(index)_uuid
            fields:
              entity_\(index)_uuid: { type: ID, generated: uuid }
              name: { type: String, required: true, description: The display name. }
              code: { type: String, unique: true }
              status: { type: String, default: active }
              rank: Int
              score: Float
              enabled: { type: Boolean, default: true }
              tags: "[String]"
              location: Location
              extra: JSON
              started_at: DateTime
              legacy: { type: String, deprecated: Use code. }

            """
        if index > 0 { text += "  parent_uuid: ID\n" }
        text += "indexes:\n  name-index: { sort: name }\n  status-index: { sort: status }\n"
        if index > 0 { text += "  parent_uuid-index: { sort: parent_uuid }\n" }
        var relations: [String] = []
        if index > 0 { relations.append("  parent: { belongsTo: \(entityName(index - 1)), via: parent_uuid }") }
        if index + 1 < count { relations.append("  children: { hasMany: \(entityName(index + 1)), via: parent_uuid }") }
        if !relations.isEmpty { text += "relations:\n" + relations.joined(separator: "\n") + "\n" }
        if index % 3 == 0 { text += "data: entity_\(index)\n" }
        return text
    }

    /// `(file name, contents)` of a schema with `count` entities plus `ame.yaml`.
    static func files(entities count: Int) -> [(name: String, contents: String)] {
        [("ame.yaml", settings)] + (0..<count).map { (fileName($0), entity($0, of: count)) }
    }
}
