import AMERuntime
import Testing

/// The lexical pass before the parser: a document too large, too long in tokens or too deeply
/// nested is refused with its own code before GraphQLSwift parses (and recurses into) it.
@Suite struct DocumentBoundsTests {
    static func nested(_ open: String, _ close: String, _ depth: Int, around inner: String = "x") -> String {
        String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
    }

    @Test func deepSelectionsOnAScalarAnUnknownFieldOrAnUnselectedOperationAreRefusedBeforeParsing() async throws {
        let test = try await TestEngine(seed: nil)
        let deep = Self.nested("{ a ", "}", 1000, around: "b")
        for query in [
            "{ ping \(deep) }", "{ noSuchField \(deep) }", "query Chosen { ping } query Other { ping \(deep) }",
        ] {
            let response = await test.engine.execute(
                GraphQLRequest(query: query, operationName: query.hasPrefix("query") ? "Chosen" : nil),
                tenant: TestEngine.tenantA)
            #expect(response.errorCodes == ["QUERY_TOO_NESTED"])
            #expect(response.errors.first?.error.message.contains("AME_MAX_QUERY_NESTING") == true)
        }
    }

    @Test func deepListAndObjectLiteralsAreRefusedBeforeParsing() async throws {
        let test = try await TestEngine(seed: nil)
        let list = await test.run(
            "{ contactProfileList(email: \(Self.nested("[", "]", 3000, around: "\"a\""))) { total } }")
        #expect(list.errorCodes == ["QUERY_TOO_NESTED"])
        let object = await test.run(
            "{ contactProfileList(email: \(Self.nested("{a:", "}", 3000, around: "1"))) { total } }")
        #expect(object.errorCodes == ["QUERY_TOO_NESTED"])
    }

    @Test func nestedListLiteralsWithinTheBoundValidateQuickly() async throws {
        // 100 levels took GraphQLSwift's validation exponential time; at the bound (32) it is refused
        // or answered, and both are a single pass.
        let test = try await TestEngine(seed: nil)
        let response = await test.run(
            "{ contactProfileList(email: \(Self.nested("[", "]", 28, around: "\"a\""))) { total } }")
        #expect(response.errorCodes == ["GRAPHQL_VALIDATION_FAILED"])
    }

    @Test func tooManyTokensAreRefused() async throws {
        let test = try await TestEngine(seed: nil, limits: QueryLimits(maxQueryTokens: 100))
        let response = await test.run("{ " + String(repeating: "ping ", count: 200) + "}")
        #expect(response.errorCodes == ["QUERY_TOO_MANY_TOKENS"])
        #expect(await test.run("{ ping }").errorCodes == [])
    }

    @Test func aLongStringLiteralIsRefused() async throws {
        let test = try await TestEngine(seed: nil, limits: QueryLimits(maxStringBytes: 100))
        let long = String(repeating: "x", count: 200)
        #expect(
            await test.run("{ contactProfileList(email: \"\(long)\") { total } }").errorCodes == ["STRING_TOO_LONG"])
        #expect(
            await test.run("{ contactProfileList(email: \"\"\"\(long)\"\"\") { total } }").errorCodes == [
                "STRING_TOO_LONG"
            ])
        #expect(await test.run("{ contactProfileList(email: \"short\") { total } }").errorCodes == [])
    }

    @Test func braceLikeCharactersInStringsAndCommentsDoNotCount() async throws {
        let test = try await TestEngine(seed: nil, limits: QueryLimits(maxQueryNesting: 4))
        let response = await test.run(
            "# {{{{{{{{\n{ contactProfileList(email: \"{{{{{{{{[[[[[\\\"\") { total } }")
        #expect(response.errorCodes == [])
    }

    @Test func intLiteralsOutsideThe32BitRangeAreRefusedNotTrapped() async throws {
        let test = try await TestEngine()
        for literal in ["9223372036854775807", "3000000000", "-2147483649", "99999999999999999999999"] {
            let response = await test.run("{ contactProfileList(pageNumber: \(literal), limit: 5) { total } }")
            #expect(response.data == nil || response.errors.isEmpty == false)
            #expect(
                response.errorCodes.allSatisfy { ["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"].contains($0) }
                    && !response.errorCodes.isEmpty, "\(literal): \(response.errorCodes)")
        }
        let largest = await test.run("{ contactProfileList(pageNumber: 2147483647, limit: 5) { total } }")
        #expect(largest.errorCodes == [])
    }
}

/// Introspection is priced: the schema it answers is not free.
@Suite struct IntrospectionCostTests {
    static let deep = "__schema { types { name fields { name args { name type { name ofType { name } } } } } }"

    @Test func manyAliasesOfADeepSchemaQueryAreTooComplex() async throws {
        let test = try await TestEngine(seed: nil)
        let query = "{ " + (0..<100).map { "a\($0): \(Self.deep)" }.joined(separator: " ") + " }"
        let response = await test.run(query)
        #expect(response.errorCodes == ["QUERY_TOO_COMPLEX"])
        #expect(response.cost.complexity > 100 * 10)
    }

    @Test func theStandardIntrospectionQueryIsAccepted() async throws {
        let test = try await TestEngine(seed: nil)
        let typeRef = (0..<7).reduce("kind name") { inner, _ in "kind name ofType { \(inner) }" }
        let query = """
            query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name }
              types { ...FullType } directives { name description locations args { ...InputValue } } } }
            fragment FullType on __Type { kind name description
              fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef }
                isDeprecated deprecationReason }
              inputFields { ...InputValue } interfaces { ...TypeRef }
              enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
              possibleTypes { ...TypeRef } }
            fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
            fragment TypeRef on __Type { \(typeRef) }
            """
        let response = await test.run(query)
        #expect(response.errorCodes == [])
        #expect(response.cost.complexity > 0)
        #expect(response.data?["__schema"]?["types"]?.arrayValue.isEmpty == false)
    }
}
