import AMESchema

/// Renders the GraphQL SDL of a schema: object, list and payload types per entity, the shared
/// object types, and the Query and Mutation roots. Output order is fixed (entities by name).
public struct SDLRenderer {
    let schema: Schema

    public init(schema: Schema) {
        self.schema = schema
    }

    public func render() -> String {
        var blocks: [String] = []
        if schema.mutationType != "Mutation" {
            blocks.append("schema {\n  query: Query\n  mutation: \(schema.mutationType)\n}")
        }
        blocks += [
            block(description: "Arbitrary JSON: an object, list, string, number, boolean or null.", "scalar JSON"),
            block(
                description:
                    "JSON whose object keys are camelCase in answers; keys of a value given in a variable are turned into snake_case, a literal is taken as written.",
                "scalar JSONCamelCase"),
            block(
                description:
                    "A point in time, ISO 8601 in UTC with microseconds and no offset (e.g. `2026-11-26T20:00:00.123000`).",
                "scalar DateTime"),
            block(description: "A decimal number as a string of digits (e.g. `\"1796116154\"`).", "scalar Decimal"),
        ]
        for type in schema.objectTypes {
            blocks.append(
                block(
                    description: type.description,
                    "type \(Naming.objectOutputType(type.name)) {\n"
                        + type.fields.flatMap { fieldLines($0, type: outputType($0)) }.map { "  " + $0 }.joined(
                            separator: "\n")
                        + "\n}"
                ))
            blocks.append(
                block(
                    description: type.description,
                    "input \(Naming.objectInputType(type.name)) {\n"
                        + type.fields.flatMap { fieldLines($0, type: inputType($0)) }.map { "  " + $0 }.joined(
                            separator: "\n")
                        + "\n}"
                ))
        }
        for entity in schema.entities {
            blocks.append(objectType(entity))
            blocks.append(listType(entity.name))
            blocks.append(writePayload(Naming.upsertPayload(entity.name), entity: entity.name))
            blocks.append(deletePayload(entity.name))
        }
        for record in SystemRecord.all {
            blocks.append(objectType(record))
            if record.hasList { blocks.append(listType(record.name)) }
            if let payload = record.writePayload { blocks.append(writePayload(payload, entity: record.name)) }
            if record.hasDelete { blocks.append(deletePayload(record.name)) }
        }
        blocks.append(queryType())
        blocks.append(mutationType())
        return blocks.joined(separator: "\n\n") + "\n"
    }

    private func objectType(_ entity: Entity) -> String {
        var lines: [String] = []
        for field in entity.fields {
            let type = field.name == entity.key ? "\(idScalar)!" : outputType(field)
            lines += fieldLines(field, type: type)
        }
        lines += [
            "endpointId: String", "partId: String", "updatedBy: String", "createdAt: DateTime", "updatedAt: DateTime",
            #""The tenant, `<endpointId>#<partId>`.""#, "partitionKey: String",
        ]
        for relation in entity.relations {
            let name = Naming.camelCase(relation.name)
            switch relation.kind {
            case .belongsTo:
                lines.append("\(name): \(Naming.objectTypeName(relation.target))")
            case .hasMany:
                lines.append("\(name)(limit: Int, nextToken: String): \(Naming.listTypeName(relation.target))")
            }
        }
        if entity.dataType != nil {
            lines += [#""Active dynamic attributes, as one object.""#, "data: \(entity.dataScalar.rawValue)"]
        }
        return block(
            description: entity.description,
            "type \(Naming.objectTypeName(entity.name)) {\n" + lines.map { "  " + $0 }.joined(separator: "\n") + "\n}"
        )
    }

    /// The page type of an entity or a system record, with its `pageNumber` paging and `nextToken`.
    private func listType(_ name: String) -> String {
        block(
            description: "A page of \(name) items.",
            """
            type \(Naming.listTypeName(name)) {
              \(Naming.listField(name)): [\(Naming.objectTypeName(name))!]!
              pageSize: Int
              pageNumber: Int
              total: Int
              nextToken: String
            }
            """
        )
    }

    /// The payload of a write: the written object.
    private func writePayload(_ payload: String, entity name: String) -> String {
        "type \(payload) {\n  \(Naming.getField(name)): \(Naming.objectTypeName(name))\n}"
    }

    private func deletePayload(_ name: String) -> String {
        "type \(Naming.deletePayload(name)) {\n  ok: Boolean\n}"
    }

    private func objectType(_ record: SystemRecord) -> String {
        let lines = record.fields.flatMap { field in
            let line = "\(field.name): \(SystemRecord.graphQLType(field.type, idScalar: idScalar))"
            return field.description.map { [quoted($0), line] } ?? [line]
        }
        return block(
            description: record.description,
            "type \(Naming.objectTypeName(record.name)) {\n" + lines.map { "  " + $0 }.joined(separator: "\n") + "\n}"
        )
    }

    private func queryType() -> String {
        var lines = ["ping: String"]
        for entity in schema.entities {
            let getArguments: [String]
            switch entity.get {
            case .key: getArguments = ["\(Naming.camelCase(entity.key)): \(idScalar)!"]
            case .oneOf(let names), .allOf(let names):
                let required = if case .allOf = entity.get { "!" } else { "" }
                getArguments = names.compactMap(entity.field(named:)).map { field in
                    "\(Naming.camelCase(field.name)): \(inputType(field.type))\(required)"
                }
            }
            lines.append(
                "\(Naming.getField(entity.name))(\(getArguments.joined(separator: ", "))): \(Naming.objectTypeName(entity.name))!"
            )
            var arguments = ["pageNumber: Int = 1", "limit: Int = 100", "nextToken: String"]
            // A filter no index serves is offered only where the YAML allows its scan (`scan_budget`).
            for field in entity.fields where entity.listHasEqualityArgument(field) {
                arguments.append("\(Naming.camelCase(field.name)): \(inputType(field.type))")
            }
            for field in entity.fields where entity.listHasContainsArgument(field) {
                arguments.append("\(Naming.camelCase(field.name))Contains: String")
            }
            for filter in entity.filters {
                guard let field = entity.field(named: filter.field) else { continue }
                let type: String
                switch (filter.match, field.type) {
                case (.member, .list(let element)): type = inputType(element)
                case (.contains, _): type = "String"
                case (.oneOf, _): type = "[\(inputType(field.type))]"
                default: type = inputType(field.type)
                }
                arguments.append("\(Naming.camelCase(filter.argument)): \(type)")
            }
            lines.append(
                "\(Naming.listField(entity.name))(\(arguments.joined(separator: ", "))): \(Naming.listTypeName(entity.name))"
            )
        }
        lines += SystemRecord.queryFields.map { SystemRecord.graphQLType($0, idScalar: idScalar) }
        return "type Query {\n" + lines.map { "  " + $0 }.joined(separator: "\n") + "\n}"
    }

    private func mutationType() -> String {
        var lines: [String] = []
        for entity in schema.entities {
            var arguments: [String] = []
            for field in entity.fields {
                arguments.append("\(Naming.camelCase(field.name)): \(inputType(field))")
            }
            if entity.dataType != nil { arguments.append("data: \(entity.dataScalar.rawValue)") }
            for name in entity.tenantArguments { arguments.append("\(Naming.camelCase(name)): String") }
            arguments.append("updatedBy: String!")
            lines.append(
                "\(Naming.upsertField(entity.name))(\(arguments.joined(separator: ", "))): \(Naming.upsertPayload(entity.name))"
            )
            lines.append(
                "\(Naming.deleteField(entity.name))(\(Naming.camelCase(entity.key)): \(idScalar)!, updatedBy: String): \(Naming.deletePayload(entity.name))"
            )
        }
        lines += SystemRecord.mutationFields.map { SystemRecord.graphQLType($0, idScalar: idScalar) }
        return "type \(schema.mutationType) {\n" + lines.map { "  " + $0 }.joined(separator: "\n") + "\n}"
    }

    /// A field, preceded by its description line when it has one.
    private func fieldLines(_ field: Field, type: String) -> [String] {
        var line = "\(Naming.camelCase(field.name)): \(type)"
        if let reason = field.deprecated { line += " @deprecated(reason: \(quoted(reason)))" }
        guard let description = field.description else { return [line] }
        return [quoted(description), line]
    }

    private var idScalar: String { schema.idScalar.rawValue }

    private func scalarName(_ scalar: Scalar) -> String {
        scalar == .id ? idScalar : scalar.rawValue
    }

    private func outputType(_ field: Field) -> String {
        field.scalar?.rawValue ?? outputType(field.type)
    }

    private func outputType(_ type: FieldType) -> String {
        switch type {
        case .scalar(let scalar): scalarName(scalar)
        case .list(let element): "[\(outputType(element))!]"
        case .object(let name): Naming.objectOutputType(name)
        }
    }

    private func inputType(_ field: Field) -> String {
        field.scalar?.rawValue ?? inputType(field.type)
    }

    /// List elements are nullable in arguments, so that a variable declared `[String]` can be
    /// passed; a null element is refused when the value is stored.
    private func inputType(_ type: FieldType) -> String {
        switch type {
        case .scalar(let scalar): scalarName(scalar)
        case .list(let element): "[\(inputType(element))]"
        case .object(let name): Naming.objectInputType(name)
        }
    }

    private func block(description: String?, _ body: String) -> String {
        guard let description else { return body }
        return "\"\"\"\n\(description)\n\"\"\"\n" + body
    }

    private func quoted(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return "\"\(escaped)\""
    }
}
