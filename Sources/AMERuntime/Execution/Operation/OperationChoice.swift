import GraphQL

/// Which operation of a document a request runs (GraphQL spec §6.1, GetOperation): the one named
/// by `operationName`, or the document's only one. One rule, for running it and for deciding
/// beforehand whether it is a mutation.
enum OperationChoice {
    static func operation(in document: Document, named name: String?) throws(AMEError) -> OperationDefinition {
        let operations = document.definitions.compactMap { $0 as? OperationDefinition }
        if let name {
            guard let chosen = operations.first(where: { $0.name?.value == name }) else {
                throw AMEError.badUserInput("no operation named `\(name)` in the document", field: nil)
            }
            return chosen
        }
        guard operations.count == 1, let only = operations.first else {
            throw AMEError.badUserInput("the document has several operations: give `operationName`", field: nil)
        }
        return only
    }

    /// The document's fragments by name.
    static func fragments(of document: Document) -> [String: FragmentDefinition] {
        var fragments: [String: FragmentDefinition] = [:]
        for case let fragment as FragmentDefinition in document.definitions {
            fragments[fragment.name.value] = fragment
        }
        return fragments
    }
}
