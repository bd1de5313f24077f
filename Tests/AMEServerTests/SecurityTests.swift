import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import NIOCore
import Testing

/// The API tried as an attacker would: missing and forged credentials, development headers
/// where credentials are required, and another tenant's ids everywhere. It finds nothing.
@Suite struct SecurityTests {
    let engine: GraphQLEngine
    let keys: SampleData.Keys
    let resolver: TenantResolver
    static let jwtSecret = "test-secret-of-enough-length-0123456789"
    static let keyA = "ame_key_for_tenant_a"
    static let keyB = "ame_key_for_tenant_b"

    init() async throws {
        engine = try GraphQLEngine(registry: AMESchemaRegistry.registry, store: try SQLiteStore(path: nil))
        try await engine.createTables()
        keys = try await SampleData(corporations: 1, places: 2, contacts: 3, requests: 2)
            .load(into: engine, tenant: Tenant(endpointId: "a"))
        resolver = await TenantResolver(
            apiKeys: [
                TenantResolver.hash(Self.keyA): Tenant(endpointId: "a"),
                TenantResolver.hash(Self.keyB): Tenant(endpointId: "b"),
            ],
            jwtSecret: Self.jwtSecret)
    }

    func application() -> some ApplicationProtocol {
        Application(router: AMEHTTPServer.router(engine: engine, tenants: resolver))
    }

    static func headers(_ authorization: String?, extra: HTTPFields = [:]) -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let authorization { fields[.authorization] = authorization }
        fields.append(contentsOf: extra)
        return fields
    }

    static func body(_ query: String, _ variables: JSONObject = [:]) -> ByteBuffer {
        ByteBuffer(string: (["query": .string(query), "variables": .object(variables)] as JSONValue).jsonText)
    }

    static func jwt(_ claims: [String: Any], secret: String = jwtSecret) async throws -> String {
        struct Claims: JWTPayload {
            var endpoint_id: String
            var part_id: String?
            var exp: ExpirationClaim?
            var nbf: NotBeforeClaim?
            func verify(using algorithm: some JWTAlgorithm) throws {}
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(
            Claims(
                endpoint_id: claims["endpoint_id"] as! String, part_id: claims["part_id"] as? String,
                exp: (claims["exp"] as? Date).map(ExpirationClaim.init(value:)),
                nbf: (claims["nbf"] as? Date).map(NotBeforeClaim.init(value:))))
    }

    func status(
        _ client: some TestClientProtocol, _ authorization: String?, extra: HTTPFields = [:]
    ) async throws
        -> (HTTPResponse.Status, JSONValue)
    {
        try await client.execute(
            uri: "/graphql", method: .post, headers: Self.headers(authorization, extra: extra),
            body: Self.body("{ contactProfileList { total } }")
        ) { response in (response.status, try JSONValue.parse(String(buffer: response.body))) }
    }

    @Test func missingForgedOrExpiredCredentialsAreUnauthenticated() async throws {
        let later = Date(timeIntervalSinceNow: 600)
        let forged = try await Self.jwt(
            ["endpoint_id": "a", "exp": later], secret: "another-secret-of-enough-length-000")
        let expired = try await Self.jwt(["endpoint_id": "a", "exp": Date(timeIntervalSinceNow: -60)])
        let neverExpiring = try await Self.jwt(["endpoint_id": "a"])
        let notYetValid = try await Self.jwt(["endpoint_id": "a", "exp": later, "nbf": Date(timeIntervalSinceNow: 300)])
        let nulInPart = try await Self.jwt(["endpoint_id": "a", "part_id": "default\u{0}zzz", "exp": later])
        let hashInEndpoint = try await Self.jwt(["endpoint_id": "a#default", "exp": later])
        try await application().test(.router) { client in
            for authorization in [
                nil, "Bearer ", "Bearer wrong-key", "Basic YTpi", "Bearer \(forged)", "Bearer \(expired)",
                "Bearer \(neverExpiring)", "Bearer \(notYetValid)", "Bearer \(nulInPart)", "Bearer \(hashInEndpoint)",
            ] {
                let (status, json) = try await status(client, authorization)
                #expect(status == .unauthorized, "\(authorization ?? "none")")
                #expect(json["errors"]?[0]?["extensions"]?["code"] == "UNAUTHENTICATED")
            }
            // With credentials configured, the development headers grant nothing.
            let (status, _) = try await status(client, nil, extra: [HTTPField.Name("X-Endpoint-Id")!: "a"])
            #expect(status == .unauthorized)
        }
    }

    @Test func apiKeysAndJWTsActForTheirOwnTenantOnly() async throws {
        let jwtA = try await Self.jwt(["endpoint_id": "a", "exp": Date(timeIntervalSinceNow: 600)])
        let jwtB = try await Self.jwt(["endpoint_id": "b", "exp": Date(timeIntervalSinceNow: 600)])
        // An empty part_id is the default part, as an empty X-Part-Id header is.
        let jwtAEmptyPart = try await Self.jwt(
            ["endpoint_id": "a", "part_id": "", "exp": Date(timeIntervalSinceNow: 600)])
        try await application().test(.router) { client in
            for (authorization, total) in [
                ("Bearer \(Self.keyA)", 3), ("Bearer \(jwtA)", 3), ("Bearer \(Self.keyB)", 0), ("Bearer \(jwtB)", 0),
                ("Bearer \(jwtAEmptyPart)", 3),
            ] {
                let (status, json) = try await status(client, authorization)
                #expect(status == .ok)
                #expect(json["data"]?["contactProfileList"]?["total"] == .int(total))
            }
            // A tenant in the development headers does not override the credential's.
            let (_, json) = try await status(
                client, "Bearer \(Self.keyB)", extra: [HTTPField.Name("X-Endpoint-Id")!: "a"])
            #expect(json["data"]?["contactProfileList"]?["total"] == 0)
        }
    }

    @Test func anotherTenantsIdsGetNothingAnywhere() async throws {
        let keys = self.keys
        try await application().test(.router) { client in
            func run(_ query: String, _ variables: JSONObject = [:]) async throws -> JSONValue {
                try await client.execute(
                    uri: "/graphql", method: .post, headers: Self.headers("Bearer \(Self.keyB)"),
                    body: Self.body(query, variables)
                ) { try JSONValue.parse(String(buffer: $0.body)) }
            }
            let contact = JSONValue.string(keys.contacts[0])
            let gets = try await run(
                """
                query($c: String!, $p: String!, $r: String!, $rc: String!) { contactProfile(contactUuid: $c) { email data }
                  place(placeUuid: $p) { businessName contactProfiles { contactProfileList { email } } }
                  contactRequest(contactUuid: $rc, requestUuid: $r) { requestTitle } }
                """,
                [
                    "c": contact, "p": .string(keys.places[0]), "r": .string(keys.requests[0]),
                    "rc": .string(keys.requestContacts[0]),
                ])
            // The gets are non-null fields: their nulls make `data` null.
            #expect(gets["data"] == .null)
            #expect(gets["errors"]?.arrayValue.count == 3)
            let byIndex = try await run(
                "query($p: String) { contactProfileList(placeUuid: $p) { total } contactRequestList(contactUuid: \"\(keys.contacts[0])\") { total } }",
                ["p": .string(keys.places[0])])
            #expect(byIndex["data"]?["contactProfileList"]?["total"] == 0)
            #expect(byIndex["data"]?["contactRequestList"]?["total"] == 0)
            let data = try await run(
                "query($c: String!) { attributeValueList(dataType: \"contact\", dataIdentity: $c) { attributeValueList { value } } }",
                ["c": contact])
            #expect(data["data"]?["attributeValueList"]?["attributeValueList"] == [])
            let history = try await run(
                "query($c: String!) { activityHistoryList(id: $c) { activityHistoryList { id } } a: activityHistoryList { activityHistoryList { id } } }",
                ["c": contact])
            #expect(history["data"]?["activityHistoryList"]?["activityHistoryList"] == [])
            #expect(history["data"]?["a"]?["activityHistoryList"] == [])
            let writes = try await run(
                """
                mutation($c: String!) { u: insertUpdateContactProfile(contactUuid: $c, firstName: "Mallory", updatedBy: "b") { contactProfile { email } } }
                """, ["c": contact])
            #expect(writes["errors"]?[0]?["extensions"]?["code"] == "ENTITY_NOT_FOUND")
            let delete = try await run(
                "mutation($c: String!) { deleteContactProfile(contactUuid: $c) { ok } }", ["c": contact])
            #expect(delete["errors"]?[0]?["extensions"]?["code"] == "ENTITY_NOT_FOUND")
            let attribute = try await run(
                "mutation($c: String!) { insertUpdateAttributeValue(dataType: \"contact\", dataIdentity: $c, attributeName: \"x\", value: \"1\", updatedBy: \"b\") { attributeValue { status } } }",
                ["c": contact])
            #expect(attribute["errors"]?[0]?["extensions"]?["code"] == "FOREIGN_KEY_VIOLATION")
        }
        // Tenant A's data is untouched.
        let owner = await engine.execute(
            GraphQLRequest(
                query: "query($c: String!) { contactProfile(contactUuid: $c) { firstName data } }",
                variables: ["c": .string(keys.contacts[0])]),
            tenant: Tenant(endpointId: "a"))
        #expect(owner.data?["contactProfile"]?["firstName"] != "Mallory")
        #expect(owner.data?["contactProfile"]?["data"]?["x"] == nil)
    }

    @Test func aNextTokenIssuedToOneTenantIsRefusedForAnother() async throws {
        try await application().test(.router) { client in
            let page = try await client.execute(
                uri: "/graphql", method: .post, headers: Self.headers("Bearer \(Self.keyA)"),
                body: Self.body("{ contactProfileList(limit: 1) { nextToken } }")
            ) { try JSONValue.parse(String(buffer: $0.body)) }
            let token = try #require(page["data"]?["contactProfileList"]?["nextToken"])
            let reused = try await client.execute(
                uri: "/graphql", method: .post, headers: Self.headers("Bearer \(Self.keyB)"),
                body: Self.body(
                    "query($t: String) { contactProfileList(limit: 1, nextToken: $t) { total } }", ["t": token])
            ) { try JSONValue.parse(String(buffer: $0.body)) }
            #expect(reused["errors"]?[0]?["extensions"]?["code"] == "BAD_USER_INPUT")
        }
    }

    @Test func theKeysFileIsReadWithItsMistakesReportedByLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ame-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("keys")
        try "# tenants\n\(TenantResolver.hash("k1")) acme\n\(TenantResolver.hash("k2")) acme eu\n".write(
            to: good, atomically: true, encoding: .utf8)
        let keys = try TenantResolver.readKeysFile(good.path)
        #expect(keys[TenantResolver.hash("k2")] == Tenant(endpointId: "acme", partId: "eu"))
        let bad = folder.appendingPathComponent("bad")
        try "\(TenantResolver.hash("k1")) acme\nplaintext-key acme\n".write(to: bad, atomically: true, encoding: .utf8)
        #expect(throws: TenantResolver.KeysFileError.self) { try TenantResolver.readKeysFile(bad.path) }
        // A line whose ids would change meaning names its line and its problem.
        for (line, problem) in [
            ("\(TenantResolver.hash("k3")) evil#x", "endpoint_id may only contain"),
            ("\(TenantResolver.hash("k3")) acme p#acme", "part_id may only contain"),
            ("\(TenantResolver.hash("k3")) acme eu extra", "found 4"),
        ] {
            try "# tenants\n\(line)\n".write(to: bad, atomically: true, encoding: .utf8)
            do {
                _ = try TenantResolver.readKeysFile(bad.path)
                Issue.record("accepted \(line)")
            } catch {
                #expect("\(error)".contains("\(bad.path):2: "), "\(error)")
                #expect("\(error)".contains(problem), "\(error)")
            }
        }
    }

    @Test func tenantIdsHaveOneSpellingAndNoSeparators() {
        for id in ["acme", "tenant-b", "a.b_c:d@e", String(repeating: "x", count: 128)] {
            #expect(Identifiers.tenantIdProblem(id) == nil, "\(id)")
        }
        for id in ["", "evil#x", "a b", "a\nb", "a\u{0}b", "caf\u{E9}", String(repeating: "x", count: 129)] {
            #expect(Identifiers.tenantIdProblem(id) != nil, "\(id)")
        }
    }
}
