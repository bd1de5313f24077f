/// Mutations: each root field runs alone, in document order (GraphQL spec §6.2.2), through the
/// write path; its payload's selection is then resolved with the same level machinery.
extension Execution {
    func resolveMutation(_ field: CollectedField, into root: ResultObject, slot: Int) async throws {
        let path: [JSONValue] = [.string(field.responseKey)]
        let writer = WritePath(engine: engine, tenant: tenant, session: session)
        switch field.plan {
        case .typename(let name):
            root.values[slot] = .json(.string(name))
        case .upsert(let entity):
            let arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
            let model = try await writer.upsert(entity, arguments: arguments)
            root.values[slot] = .object(try payload(of: field, written: (model, entity), path: path))
        case .delete(let entity):
            let arguments = try ArgumentCoercion.arguments(of: field.first, variables: variables)
            try await writer.delete(entity, arguments: arguments)
            root.values[slot] = .object(try payload(of: field, written: nil, path: path))
        case .ping:
            root.values[slot] = .json(.string("pong"))
        case .system(let system):
            await resolveSystemField(system, field, into: root, slot: slot)
        case .unresolved(let type, let name):
            throw AMEError.unresolvedField(type: type, field: name)
        default:
            throw AMEError.badUserInput("`\(field.name)` is a query", field: nil)
        }
    }

    /// A write's payload: the written entity (its selection resolved on the next levels), `ok`,
    /// and `__typename`.
    private func payload(
        of field: CollectedField, written: (model: any EntityModel, entity: EntityDefinition)?, path: [JSONValue]
    ) throws(AMEError) -> ResultObject {
        let fields = try collector.collectChildren(of: field)
        let payload = ResultObject(capacity: fields.count)
        for payloadField in fields {
            switch (payloadField.plan, written) {
            case (.written, let written?):
                let children = try collector.collectChildren(of: payloadField)
                let rows = ResultRows(keys: children.map(\.responseKey), count: 1)
                payload.append(payloadField.responseKey, .row(rows, 0))
                pendingWork.append(
                    EntityWork(entity: written.entity, fields: children, entries: [Entry(written.model, rows.row(0))]))
            case (.ok, _): payload.append(payloadField.responseKey, .json(.bool(true)))
            case (.typename(let name), _): payload.append(payloadField.responseKey, .json(.string(name)))
            case (.unresolved(let type, let name), _):
                payload.append(payloadField.responseKey, .null)
                report(
                    AMEError.unresolvedField(type: type, field: name), path: path + [.string(payloadField.responseKey)],
                    field: payloadField)
            default: payload.append(payloadField.responseKey, .null)
            }
        }
        return payload
    }
}
