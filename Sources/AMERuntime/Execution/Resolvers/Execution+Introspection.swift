import GraphQL

/// `__schema` and `__type`, answered from the engine's ``Introspection``.
extension Execution {
    /// Whether the operation selects `__schema` or `__type`.
    func selectsIntrospection() throws(AMEError) -> Bool {
        try collector.collect(operation.selectionSet, typeName: rootTypeName).contains {
            switch $0.plan {
            case .schemaIntrospection, .typeIntrospection: true
            default: false
            }
        }
    }

    /// Resolves a root `__schema` or `__type` field from the engine's ``Introspection``.
    func resolveIntrospection(_ field: CollectedField, into root: ResultObject, slot: Int) {
        let path: [JSONValue] = [.string(field.responseKey)]
        do {
            let node: Introspection.Node?
            if case .schemaIntrospection = field.plan {
                node = .schema
            } else {
                let arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
                guard let name = arguments["name"]?.stringValue else {
                    throw AMEError.badUserInput("`__type` needs `name`", field: "name")
                }
                node = engine.schema.typeMap[name].map { .type($0) }
            }
            guard let node else { return }
            root.values[slot] = try introspectionObject(node, fields: collector.collectChildren(of: field), path: path)
        } catch {
            report(error, path: path, field: field)
        }
    }

    /// One introspection object with its selected fields; a field that fails is null with its error.
    func introspectionObject(
        _ node: Introspection.Node, fields: [CollectedField], path: [JSONValue]
    ) -> ResultValue {
        let object = ResultObject(capacity: fields.count)
        for field in fields {
            let slot = object.append(field.responseKey, .null)
            let fieldPath = path + [.string(field.responseKey)]
            if case .typename = field.plan {
                object.values[slot] = .json(.string(node.typeName))
                continue
            }
            do {
                let arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
                switch try engine.introspection.value(of: node, field: field.name, arguments: arguments) {
                case .leaf(let value):
                    object.values[slot] = .json(value)
                case .node(let child?):
                    let children = try collector.collectChildren(of: field)
                    object.values[slot] = introspectionObject(child, fields: children, path: fieldPath)
                case .nodes(let elements?):
                    // The elements of a list are of one introspection type: one selection for all.
                    let children = try collector.collectChildren(of: field)
                    object.values[slot] = .list(
                        elements.enumerated().map { index, element in
                            introspectionObject(element, fields: children, path: fieldPath + [.int(index)])
                        })
                case .node(nil), .nodes(nil):
                    break
                }
            } catch {
                report(error, path: fieldPath, field: field)
            }
        }
        return .object(object)
    }
}
