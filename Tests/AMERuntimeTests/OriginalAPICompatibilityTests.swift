import AMEGenerated
import AMERuntime
import Foundation
import GraphQL
import Testing

/// The API surface gate: every type, field and argument of the original service's API
/// (`../shared/reference/original-api.graphql`, beside the package) must be one a client of the
/// original can send to AME unchanged, and that AME answers in the same shape.
@Suite struct OriginalAPICompatibilityTests {
    /// The original's SDL, located relative to the package root.
    static let referenceFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/reference/original-api.graphql").standardizedFileURL

    static func originalSDL(at file: URL = referenceFile) throws -> String {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw GateError(
                "the original's API is missing: expected \(file.path) (../shared/reference/original-api.graphql from the package root)"
            )
        }
        return try String(contentsOf: file, encoding: .utf8)
    }

    struct GateError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test func everyFieldArgumentAndTypeOfTheOriginalIsServedAlike() throws {
        let original = try buildSchema(source: try Self.originalSDL())
        let ame = try buildSchema(source: AMESchemaRegistry.registry.sdl)
        let problems = try APISurfaceComparison(original: original, candidate: ame).incompatibilities()
        print("API incompatibilities with the original: \(problems.count)")
        for problem in problems { print("  \(problem)") }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// The gate finds each kind of difference it is meant to find.
    @Test func theGateFindsEveryKindOfDifference() throws {
        let original = try buildSchema(
            source: """
                schema { query: Query mutation: Mutations }
                scalar JSONCamelCase
                scalar Decimal
                type ThingType { id: String  address: JSONCamelCase  when: Decimal  parts: [String]  child: ThingType }
                type Query { thing(id: String!): ThingType!  things(pageNumber: Int, tags: [String]): [ThingType] }
                type Mutations { setThing(id: String, data: JSONCamelCase): ThingType }
                """)
        let candidate = try buildSchema(
            source: """
                scalar JSON
                type AddressType { city: String }
                type ThingType { id: ID!  address: AddressType  when: String  parts: String  child: ThingType  count: Int }
                type Query { thing(id: ID!, extra: String!): ThingType  things(tags: [String!]): [ThingType!]! }
                type Mutation { setThing(id: String!, data: JSON): ThingType }
                """)
        let problems = try APISurfaceComparison(original: original, candidate: candidate).incompatibilities()
        let expected = [
            "scalar JSONCamelCase is missing",
            "scalar Decimal is missing",
            "the mutation root is `Mutation`, the original's is `Mutations`",
            "ThingType.id is ID! (another scalar), the original's is String",
            "ThingType.address is AddressType (an object), the original's is JSONCamelCase (a scalar)",
            "ThingType.when is String (another scalar), the original's is Decimal",
            "ThingType.parts is String, the original's is [String] (a list)",
            "Query.thing is ThingType, the original's is ThingType! (may be null where the original's never is)",
            "Query.thing(id:) takes ID!, where a variable of the original's type String! cannot go",
            "Query.thing(extra:) is required, and the original has no such argument",
            "Query.things(pageNumber:) is missing",
            "Query.things(tags:) takes [String!], where a variable of the original's type [String] cannot go",
            "Mutations.setThing(id:) takes String!, where a variable of the original's type String cannot go",
            "Mutations.setThing(data:) takes JSON, where a variable of the original's type JSONCamelCase cannot go",
        ]
        for message in expected {
            #expect(problems.contains(message), "not found: \(message)\nfound:\n\(problems.joined(separator: "\n"))")
        }
        #expect(problems.count == expected.count, "\(problems.joined(separator: "\n"))")
    }

    @Test func theGateFailsClearlyWhenTheReferenceIsMissing() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/shared/reference/original-api.graphql")
        let error = #expect(throws: GateError.self) { try Self.originalSDL(at: missing) }
        #expect(error?.description.contains("/nonexistent/shared/reference/original-api.graphql") == true)
        #expect(Self.referenceFile.path.hasSuffix("/shared/reference/original-api.graphql"))
    }
}

/// Compares a GraphQL schema ("candidate", AME's) with the original's, from the point of view of
/// a client of the original: every root, type, field and argument it can use must exist, every
/// variable it declares with the original's types must be accepted where it is passed, and every
/// answer must have the original's shape (object or scalar, the same scalar, lists where lists,
/// never null where the original is non-null).
struct APISurfaceComparison {
    let original: GraphQLSchema
    let candidate: GraphQLSchema

    func incompatibilities() throws -> [String] {
        var problems: [String] = []
        if let mutation = original.mutationType, candidate.mutationType?.name != mutation.name {
            problems.append(
                "the mutation root is `\(candidate.mutationType?.name ?? "absent")`, the original's is `\(mutation.name)`"
            )
        }
        for name in original.typeMap.keys.sorted() where !name.hasPrefix("__") {
            let type = original.typeMap[name]!
            let counterpart = counterpart(of: type)
            switch type {
            case let scalar as GraphQLScalarType:
                if !(counterpart is GraphQLScalarType) { problems.append("scalar \(scalar.name) is missing") }
            case let object as GraphQLObjectType:
                guard let ours = counterpart as? GraphQLObjectType else {
                    problems.append("type \(object.name) is missing")
                    continue
                }
                problems += try compare(object, ours)
            case let enumType as GraphQLEnumType:
                guard let ours = counterpart as? GraphQLEnumType else {
                    problems.append("enum \(enumType.name) is missing")
                    continue
                }
                let values = Set(ours.values.map(\.name))
                for value in enumType.values where !values.contains(value.name) {
                    problems.append("enum value \(enumType.name).\(value.name) is missing")
                }
            case let input as GraphQLInputObjectType:
                guard let ours = counterpart as? GraphQLInputObjectType else {
                    problems.append("input \(input.name) is missing")
                    continue
                }
                let fields = try ours.fields()
                for (fieldName, field) in try input.fields().sorted(by: { $0.key < $1.key }) {
                    guard let mine = fields[fieldName] else {
                        problems.append("input field \(input.name).\(fieldName) is missing")
                        continue
                    }
                    if !accepts(mine.type, from: field.type) {
                        problems.append(
                            "input field \(input.name).\(fieldName) is \(mine.type.debugDescription), the original's is \(field.type.debugDescription)"
                        )
                    }
                }
            default:
                continue
            }
        }
        return problems
    }

    /// The candidate's type of the same role: the roots by role, every other type by name.
    private func counterpart(of type: GraphQLNamedType) -> GraphQLNamedType? {
        if type.name == original.queryType?.name { return candidate.queryType }
        if type.name == original.mutationType?.name { return candidate.mutationType }
        return candidate.typeMap[type.name]
    }

    private func compare(_ object: GraphQLObjectType, _ ours: GraphQLObjectType) throws -> [String] {
        var problems: [String] = []
        let fields = try ours.fields()
        for (name, field) in try object.fields().sorted(by: { $0.key < $1.key }) {
            let path = "\(object.name).\(name)"
            guard let mine = fields[name] else {
                problems.append("\(path) is missing")
                continue
            }
            if let difference = outputDifference(original: field.type, candidate: mine.type) {
                problems.append("\(path) is \(mine.type.debugDescription)\(difference)")
            }
            for (argumentName, argument) in field.args {
                guard let counterpart = mine.args[argumentName] else {
                    problems.append("\(path)(\(argumentName):) is missing")
                    continue
                }
                if !accepts(counterpart.type, from: argument.type) {
                    problems.append(
                        "\(path)(\(argumentName):) takes \(counterpart.type.debugDescription), where a variable of the original's type \(argument.type.debugDescription) cannot go"
                    )
                }
            }
            for (argumentName, argument) in mine.args
            where field.args[argumentName] == nil && argument.type is GraphQLNonNull && argument.defaultValue == nil {
                problems.append("\(path)(\(argumentName):) is required, and the original has no such argument")
            }
        }
        return problems
    }

    /// Whether a variable of type `given` may be passed where `expected` is declared (the spec's
    /// "IsVariableUsageAllowed", without defaults).
    private func accepts(_ expected: GraphQLType, from given: GraphQLType) -> Bool {
        switch (expected, given) {
        case (let expected as GraphQLNonNull, let given as GraphQLNonNull):
            return accepts(expected.ofType, from: given.ofType)
        case (is GraphQLNonNull, _):
            return false
        case (_, let given as GraphQLNonNull):
            return accepts(expected, from: given.ofType)
        case (let expected as GraphQLList, let given as GraphQLList):
            return accepts(expected.ofType, from: given.ofType)
        case (is GraphQLList, _), (_, is GraphQLList):
            return false
        case (let expected as GraphQLNamedType, let given as GraphQLNamedType):
            return expected.name == given.name
        default:
            return false
        }
    }

    /// How an answer of type `candidate` differs in shape from one of type `original`, or `nil`.
    private func outputDifference(original: GraphQLType, candidate: GraphQLType) -> String? {
        switch (original, candidate) {
        case (let original as GraphQLNonNull, let candidate as GraphQLNonNull):
            return outputDifference(original: original.ofType, candidate: candidate.ofType)
        case (let original as GraphQLNonNull, _):
            return outputDifference(original: original.ofType, candidate: candidate)
                ?? ", the original's is \(original.debugDescription) (may be null where the original's never is)"
        case (_, let candidate as GraphQLNonNull):
            // Never null where the original may be: a client of the original handles both.
            return outputDifference(original: original, candidate: candidate.ofType)
        case (let original as GraphQLList, let candidate as GraphQLList):
            return outputDifference(original: original.ofType, candidate: candidate.ofType)
        case (let original as GraphQLList, _):
            return ", the original's is \(original.debugDescription) (a list)"
        case (_, is GraphQLList):
            return " (a list), the original's is \(original.debugDescription)"
        case (let original as GraphQLScalarType, let candidate as GraphQLScalarType):
            return original.name == candidate.name ? nil : " (another scalar), the original's is \(original.name)"
        case (let original as GraphQLScalarType, _):
            return " (an object), the original's is \(original.name) (a scalar)"
        case (let original as GraphQLNamedType, is GraphQLScalarType):
            return " (a scalar), the original's is \(original.name) (an object)"
        case (let original as GraphQLNamedType, let candidate as GraphQLNamedType):
            return original.name == candidate.name ? nil : ", the original's is \(original.name)"
        default:
            return ", the original's is \(original.debugDescription)"
        }
    }
}
