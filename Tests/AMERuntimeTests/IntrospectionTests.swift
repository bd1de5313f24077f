import AMEGenerated
import Foundation
import Testing

@testable import AMERuntime

/// `__schema` and `__type` answer every option of the reference introspection query, in the SDL's
/// declaration order, and can be turned off. (Real clients read it in `RealClientTests`.)
@Suite struct IntrospectionTests {
    /// The named types of the SDL, in the order it declares them.
    static var declaredTypes: [String] {
        AMESchemaRegistry.sdl.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            guard words.count >= 2, ["type", "input", "enum", "scalar", "interface", "union"].contains(words[0]) else {
                return nil
            }
            return String(words[1])
        }
    }

    /// The name the SDL's `schema { mutation: … }` gives the mutation root.
    static var mutationTypeName: String {
        let line = AMESchemaRegistry.sdl.split(separator: "\n").first { $0.drop { $0 == " " }.hasPrefix("mutation:") }
        return line.map { String($0.split(separator: ":")[1].drop { $0 == " " }) } ?? "Mutation"
    }

    /// The fields of `type` in the SDL, in declaration order.
    static func declaredFields(of type: String) -> [String] {
        let lines = AMESchemaRegistry.sdl.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("type \(type) ") || $0.hasPrefix("input \(type) ") })
        else { return [] }
        var fields: [String] = []
        for line in lines[(start + 1)...] {
            if line.hasPrefix("}") { break }
            let trimmed = line.drop { $0 == " " }
            guard !trimmed.hasPrefix("\""), let end = trimmed.firstIndex(where: { $0 == ":" || $0 == "(" }) else {
                continue
            }
            fields.append(String(trimmed[..<end]))
        }
        return fields
    }

    static let everyOption = """
        query Everything {
          __schema {
            description
            queryType { name } mutationType { name } subscriptionType { name }
            types {
              kind name description specifiedByURL isOneOf
              fields(includeDeprecated: true) {
                name description isDeprecated deprecationReason
                args(includeDeprecated: true) { name description defaultValue isDeprecated deprecationReason type { ...Ref } }
                type { ...Ref }
              }
              inputFields(includeDeprecated: true) { name defaultValue isDeprecated deprecationReason type { ...Ref } }
              interfaces { name }
              enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
              possibleTypes { name }
            }
            directives { name description isRepeatable locations args(includeDeprecated: true) { name defaultValue } }
          }
        }
        fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
        """

    @Test func everyOptionOfTheIntrospectionQueryIsAnswered() async throws {
        let test = try await TestEngine(seed: nil)
        let response = await test.run(Self.everyOption)
        #expect(response.errors.isEmpty, "\(response.errors.map(\.error.message))")
        let schema = try #require(response.data?["__schema"])
        #expect(schema["queryType"]?["name"] == "Query")
        #expect(schema["mutationType"]?["name"] == .string(Self.mutationTypeName))
        #expect(schema["subscriptionType"] == .null)
        let types = schema["types"]?.arrayValue ?? []
        let address = try #require(types.first { $0["name"] == "AddressInput" })
        #expect(address["kind"] == "INPUT_OBJECT")
        #expect(
            address["inputFields"]?.arrayValue.map { $0["name"]?.stringValue } == ["street", "city", "state", "zip"])
        #expect(address["fields"] == .null)
        #expect(address["isOneOf"] == false)
        let json = try #require(types.first { $0["name"] == "JSON" })
        #expect(json["kind"] == "SCALAR")
        #expect(json["description"]?.stringValue?.hasPrefix("Arbitrary JSON") == true)
        #expect(json["specifiedByURL"] == .null)
        let query = try #require(types.first { $0["name"] == "Query" })
        let list = try #require(query["fields"]?.arrayValue.first { $0["name"] == "contactProfileList" })
        let limit = try #require(list["args"]?.arrayValue.first { $0["name"] == "limit" })
        #expect(limit["defaultValue"] == "100")
        #expect(limit["isDeprecated"] == false)
        #expect(limit["type"]?["kind"] == "SCALAR" && limit["type"]?["name"] == "Int")
        let directives = schema["directives"]?.arrayValue ?? []
        let deprecated = try #require(directives.first { $0["name"] == "deprecated" })
        #expect(deprecated["isRepeatable"] == false)
        #expect(deprecated["args"]?.arrayValue.first?["defaultValue"] == "\"No longer supported\"")
        #expect(deprecated["locations"]?.arrayValue.contains("FIELD_DEFINITION") == true)
        #expect(response.cost.storeCalls == 0)
    }

    @Test func typesAndFieldsAreListedInDeclarationOrder() async throws {
        let test = try await TestEngine(seed: nil)
        let response = await test.run("{ __schema { types { name } } }")
        let names = (response.data?["__schema"]?["types"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let declared = Self.declaredTypes
        #expect(declared.count > 10)
        // The SDL's types first, as declared; then the built-in scalars and introspection types.
        #expect(Array(names.prefix(declared.count)) == declared)
        #expect(names.contains("String") && names.contains("__Schema"))
        for type in ["Query", Self.mutationTypeName, "ContactProfileType", "PlaceType"] {
            let fields = await test.run("{ __type(name: \"\(type)\") { fields { name } } }")
            let listed = (fields.data?["__type"]?["fields"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            #expect(listed == Self.declaredFields(of: type), "\(type)")
            #expect(!listed.isEmpty)
        }
    }

    /// The forms that answered a silent null before.
    @Test func deprecationArgumentsOnInputFieldsAndArgumentsAnswerLists() async throws {
        let test = try await TestEngine(seed: nil)
        let input = await test.run(
            "{ __type(name: \"AddressInput\") { inputFields(includeDeprecated: true) { name isDeprecated } } }")
        #expect(input.errors.isEmpty)
        #expect(input.data?["__type"]?["inputFields"]?.arrayValue.count == 4)
        let arguments = await test.run(
            "{ __type(name: \"ContactProfileType\") { fields(includeDeprecated: true) { name args(includeDeprecated: true) { isDeprecated } } } }"
        )
        #expect(arguments.errors.isEmpty)
        let fields = arguments.data?["__type"]?["fields"]?.arrayValue ?? []
        #expect(fields.count == Self.declaredFields(of: "ContactProfileType").count)
        #expect(fields.first { $0["name"] == "contactRequests" }?["args"]?.arrayValue.count == 2)
        let unknown = await test.run("{ __type(name: \"NoSuchType\") { name } }")
        #expect(unknown.errors.isEmpty)
        #expect(unknown.data?["__type"] == .null)
    }

    @Test func fragmentsAliasesAndTypenameWorkInsideIntrospection() async throws {
        let test = try await TestEngine(seed: nil)
        let response = await test.run(
            "query($name: String!) { t: __type(name: $name) { __typename ... on __Type { k: kind } fields { __typename n: name } } }",
            variables: ["name": "PlaceType"])
        #expect(response.errors.isEmpty)
        let type = response.data?["t"]
        #expect(type?["__typename"] == "__Type")
        #expect(type?["k"] == "OBJECT")
        let first = type?["fields"]?.arrayValue.first
        #expect(first?["__typename"] == "__Field")
        #expect(first?["n"] == .string(Self.declaredFields(of: "PlaceType")[0]))
    }

    @Test func aFieldWithoutAResolverIsAnErrorNotANull() throws {
        let engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
        #expect(throws: AMEError.unresolvedField(type: "__Schema", field: "nope")) {
            try engine.introspection.value(of: .schema, field: "nope", arguments: [:])
        }
        #expect(AMEError.unresolvedField(type: "__Schema", field: "nope").code == "UNRESOLVED_FIELD")
    }

    @Test func introspectionCanBeTurnedOff() async throws {
        let engine = try GraphQLEngine(
            registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil), introspection: false)
        try await engine.createTables()
        let tenant = Tenant(endpointId: "acme")
        for query in [
            "{ __schema { queryType { name } } }", "{ ping ... on Query { __type(name: \"Query\") { name } } }",
        ] {
            let refused = await engine.execute(GraphQLRequest(query: query), tenant: tenant)
            #expect(refused.errors.map(\.error.code) == ["INTROSPECTION_DISABLED"])
            #expect(refused.isRequestError)
        }
        let allowed = await engine.execute(GraphQLRequest(query: "{ __typename ping }"), tenant: tenant)
        #expect(allowed.errors.isEmpty)
        #expect(allowed.data?["__typename"] == "Query")
    }
}
