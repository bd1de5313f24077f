import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import Testing

/// `ame migrate from-original` in process: the original's six tables on moto_server, built and
/// filled by boto3 in its exact key schemas and attribute formats, copied into AME's tables and
/// served through AME's API.
@Suite(.serialized) struct OriginalMigrationTests {
    /// The original's tables filled with the sample data, and an AME engine over fresh tables
    /// on the same server under another prefix.
    struct Setup {
        var original: OriginalTables
        var fixture: [String: [JSONValue]]
        var engine: GraphQLEngine

        func migration(segments: Int = 3, pageSize: Int = 5, through endpoint: URL? = nil) -> OriginalMigration {
            let source =
                endpoint.map { MotoServer.store(endpoint: $0, tables: []) } ?? original.store()
            return OriginalMigration(
                source: source, sourcePrefix: original.prefix, target: engine,
                options: .init(segments: segments, pageSize: pageSize))
        }

        /// The items of one of the original's tables.
        func items(_ table: String) -> [JSONValue] { fixture[table] ?? [] }

        func run(_ query: String, _ variables: JSONObject = [:], tenant: Tenant) async -> JSONValue {
            let response = await engine.execute(GraphQLRequest(query: query, variables: variables), tenant: tenant)
            #expect(response.errors.isEmpty, "\(response.errors.map(\.error.message))")
            return response.data ?? .null
        }
    }

    static func setup(wrongTable: String? = nil, fill: Bool = true, target endpoint: URL? = nil) async throws -> Setup?
    {
        guard let original = try await OriginalTables.make(wrongTable: wrongTable) else { return nil }
        let fixture = fill ? try original.fill() : [:]
        let registry = AMESchemaRegistry.registry.withTablePrefix("ame\(UUID().uuidString.prefix(8).lowercased())-")
        let store = MotoServer.store(endpoint: endpoint ?? original.endpoint, tables: registry.tableDefinitions)
        return Setup(original: original, fixture: fixture, engine: try GraphQLEngine(registry: registry, store: store))
    }

    static func s(_ item: JSONValue, _ name: String) -> String? { item[name]?["S"]?.stringValue }

    static func tenant(_ item: JSONValue) -> Tenant {
        let parts = (s(item, "partition_key") ?? "").split(separator: "#")
        return Tenant(endpointId: String(parts[0]), partId: String(parts[1]))
    }

    /// Rows, uniqueness guards (one per contact email), versions, audit records, and one active
    /// `data` item per entity with active versions.
    static func expectedItems(_ setup: Setup) -> Int {
        let rows = ["corporation_profiles", "places", "contact_profiles", "contact_requests"].map {
            setup.items($0).count
        }.reduce(0, +)
        let versions = setup.items("attribute_values")
        let owners = Set(versions.filter { s($0, "status") == "active" }.map { s($0, "data_identity")! })
        return rows + setup.items("contact_profiles").count + versions.count + setup.items("activity_history").count
            + owners.count
    }

    /// `employee_count` → `employeeCount`.
    static func camelCase(_ name: String) -> String {
        let parts = name.split(separator: "_")
        return (parts.first.map(String.init) ?? "")
            + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    @Test func copiesEveryRowVersionAndAuditRecordAndAMEAnswersWhatTheDataImplies() async throws {
        guard let setup = try await Self.setup() else { return }
        let before = try setup.original.digest()
        let migration = setup.migration()
        let report = try await migration.run()
        #expect(report.totalWritten == Self.expectedItems(setup))
        #expect(report.unassignedHistory == 2)
        #expect(try setup.original.digest() == before, "nothing of the original changed")

        let verification = try await migration.verify()
        #expect(verification.isEqual, "\(verification.differences)")
        #expect(verification.expectedItems == Self.expectedItems(setup))

        // Every contact: its fields, its converted timestamps, its active `data`, its versions
        // (inactive ones kept) and its audit records, in its own tenant only.
        let versions = setup.items("attribute_values")
        for contact in setup.items("contact_profiles") {
            let key = Self.s(contact, "contact_uuid")!
            let tenant = Self.tenant(contact)
            let data = await setup.run(
                "query($k: String!) { contactProfile(contactUuid: $k) { email firstName lastName placeUuid endpointId partId createdAt updatedAt data } }",
                ["k": .string(key)], tenant: tenant)
            let answer = data["contactProfile"]
            #expect(answer?["email"]?.stringValue == Self.s(contact, "email"))
            #expect(answer?["firstName"]?.stringValue == Self.s(contact, "first_name"))
            #expect(answer?["lastName"]?.stringValue == Self.s(contact, "last_name"))
            #expect(answer?["placeUuid"]?.stringValue == Self.s(contact, "place_uuid"))
            #expect(answer?["partId"]?.stringValue == tenant.partId)
            // Answered as the original answers it: microseconds, no offset (the stored value is UTC).
            #expect(
                answer?["createdAt"]?.stringValue
                    == Self.s(contact, "created_at")?.replacingOccurrences(of: "+0000", with: ""))
            #expect(
                answer?["updatedAt"]?.stringValue
                    == Self.s(contact, "updated_at")?.replacingOccurrences(of: "+0000", with: ""))
            let own = versions.filter { Self.s($0, "data_identity") == key }
            for active in own where Self.s(active, "status") == "active" {
                // Answered in camelCase (`JSONCamelCase`), as the original answers it.
                let attribute = Self.camelCase(
                    String(Self.s(active, "data_type_attribute_name")!.dropFirst("contact-".count)))
                #expect(answer?["data"]?[attribute]?.stringValue == Self.s(active, "value"))
            }
            let listed = await setup.run(
                "query($k: String!) { attributeValueList(dataType: \"contact\", dataIdentity: $k) { attributeValueList { valueVersionUuid value status } } }",
                ["k": .string(key)], tenant: tenant)
            let listedVersions = listed["attributeValueList"]?["attributeValueList"]?.arrayValue ?? []
            #expect(
                Set(listedVersions.compactMap { $0["valueVersionUuid"]?.stringValue })
                    == Set(own.map { Self.s($0, "value_version_uuid")! }))
            #expect(listedVersions.contains { $0["status"] == "inactive" })
            let history = await setup.run(
                "query($k: String!) { activityHistoryList(id: $k) { activityHistoryList { id type log updatedBy } } }",
                ["k": .string(key)], tenant: tenant)
            #expect(
                history["activityHistoryList"]?["activityHistoryList"]?.arrayValue.map { $0["log"]?.stringValue ?? "" }
                    == ["insert", "update"])
            let other =
                tenant.endpointId == "dev"
                ? Tenant(endpointId: "acme", partId: "eu") : Tenant(endpointId: "dev", partId: "dev")
            let hidden = await setup.engine.execute(
                GraphQLRequest(
                    query: "query($k: String!) { contactProfile(contactUuid: $k) { email } }",
                    variables: ["k": .string(key)]),
                tenant: other)
            #expect(hidden.errors.map(\.error.code) == ["ENTITY_NOT_FOUND"], "another tenant does not see it")
        }

        // Relations and maps survive: a place's corporation, a corporation's address and lists.
        for corporation in setup.items("corporation_profiles") {
            let data = await setup.run(
                "query($k: String!) { corporationProfile(corporationUuid: $k) { businessName categories address data } }",
                ["k": .string(Self.s(corporation, "corporation_uuid")!)], tenant: Self.tenant(corporation))
            let answer = data["corporationProfile"]
            #expect(answer?["businessName"]?.stringValue == Self.s(corporation, "business_name"))
            #expect(answer?["businessName"]?.stringValue?.contains("#") == true)
            #expect(answer?["categories"]?.arrayValue.count == 2)
            #expect(answer?["address"]?["zip"] == "62701")
            #expect(answer?["data"]?["industry"]?.stringValue?.hasPrefix("Retail #") == true)
        }

        // Audit records keep their numeric timestamp; those no single tenant owns are in the
        // unassigned tenant, not in either tenant.
        let unassigned = OriginalMigration.Options().unassignedTenant
        let orphans = setup.items("activity_history").filter { Self.s($0, "log") == "deleted #1" }
        for orphan in orphans {
            let data = await setup.run(
                "query($k: String!) { activityHistoryList(id: $k) { activityHistoryList { id log } } }",
                ["k": .string(Self.s(orphan, "id")!)], tenant: unassigned)
            #expect(data["activityHistoryList"]?["activityHistoryList"]?.arrayValue.count == 1)
        }
        let history = setup.engine.registry.physicalTable(RuntimeTables.activityHistory)
        let stored = try await setup.engine.store.query(QueryRequest(table: history, partition: "dev#dev"))
        let timestamps = Set(stored.items.compactMap { $0["timestamp"] })
        let originals = Set(
            setup.items("activity_history").compactMap { $0["timestamp"]?["N"]?.stringValue }.map(ItemValue.number))
        #expect(!stored.items.isEmpty && timestamps.isSubset(of: originals))
    }

    @Test func aSecondRunChangesNothingAndSaysSo() async throws {
        guard let setup = try await Self.setup() else { return }
        _ = try await setup.migration().run()
        let second = try await setup.migration(segments: 2, pageSize: 50).run()
        #expect(second.pass == 2)
        #expect(second.totalWritten == 0)
        #expect(second.totalUnchanged == Self.expectedItems(setup))
        #expect(second.lines.contains { $0.contains("nothing to write, AME already holds the original's data") })
    }

    @Test func writesOnTheOriginalBetweenRunsArePickedUpAndChangesMadeInAMEAreKept() async throws {
        guard let setup = try await Self.setup() else { return }
        let migration = setup.migration()
        _ = try await migration.run()

        // On the original's side: a contact renamed, its department changed (a new active version,
        // the old one inactive), an audit record added.
        guard case .object(var contact) = setup.items("contact_profiles")[0],
            let key = contact["contact_uuid"]?["S"]?.stringValue
        else { return }
        contact["first_name"] = ["S": "Renamed #1"]
        contact["updated_at"] = ["S": "2026-12-02T10:00:00.000001+0000"]
        try setup.original.put("contact_profiles", .object(contact))
        let tenant = Self.tenant(.object(contact))
        let oldActive = setup.items("attribute_values").first {
            Self.s($0, "data_identity") == key && Self.s($0, "status") == "active"
                && Self.s($0, "data_type_attribute_name") == "contact-department"
        }!
        guard case .object(var retired) = oldActive else { return }
        retired["status"] = ["S": "inactive"]
        try setup.original.put("attribute_values", .object(retired))
        var fresh = retired
        fresh["value_version_uuid"] = ["S": "99999999999999999999"]
        fresh["status"] = ["S": "active"]
        fresh["value"] = ["S": "Support #9"]
        fresh["created_at"] = ["S": "2026-12-02T10:00:00.000002+0000"]
        fresh["updated_at"] = ["S": "2026-12-02T10:00:00.000002+0000"]
        try setup.original.put("attribute_values", .object(fresh))
        try setup.original.put(
            "activity_history",
            [
                "id": ["S": .string(key)], "timestamp": ["N": "1796205600"], "type": ["S": "ContactProfile"],
                "log": ["S": "update"],
            ])

        // On AME's side: another contact changed through AME's API.
        let second = setup.items("contact_profiles")[1]
        let changed = await setup.engine.execute(
            GraphQLRequest(
                query:
                    "mutation($k: String!, $p: String!) { insertUpdateContactProfile(contactUuid: $k, placeUuid: $p, lastName: \"Changed in AME\", updatedBy: \"ops\") { contactProfile { lastName } } }",
                variables: ["k": .string(Self.s(second, "contact_uuid")!), "p": .string(Self.s(second, "place_uuid")!)]),
            tenant: Self.tenant(second))
        #expect(changed.errors.isEmpty)

        let report = try await setup.migration().run()
        let table = { (name: String) in setup.engine.registry.physicalTable(name) }
        #expect(report.written[table("contact_profiles")] == 1)
        #expect(report.written[table(RuntimeTables.attributeValues)] == 3, "two versions and the active data")
        #expect(report.written[table(RuntimeTables.activityHistory)] == 1)
        #expect(report.totalWritten == 5)
        #expect(report.kept[table("contact_profiles")] == 1, "the row AME changed is kept as AME has it")

        let data = await setup.run(
            "query($k: String!) { contactProfile(contactUuid: $k) { firstName data } }", ["k": .string(key)],
            tenant: tenant
        )
        #expect(data["contactProfile"]?["firstName"] == "Renamed #1")
        #expect(data["contactProfile"]?["data"]?["department"] == "Support #9")
        let kept = await setup.run(
            "query($k: String!) { contactProfile(contactUuid: $k) { lastName } }",
            ["k": .string(Self.s(second, "contact_uuid")!)], tenant: Self.tenant(second))
        #expect(kept["contactProfile"]?["lastName"] == "Changed in AME")

        let verification = try await migration.verify()
        // What AME changed: the contact's row, and the audit record of that change.
        #expect(verification.differenceCount == 2, "\(verification.differences)")
        #expect(verification.differences.filter { $0.contains("differs from the original") }.count == 1)
        #expect(verification.differences.filter { $0.contains("in AME, not in the original") }.count == 1)
    }

    @Test func itemsTheOriginalsLayoutDoesNotAllowAreNamedAndNothingIsWritten() async throws {
        guard let setup = try await Self.setup() else { return }
        guard case .object(var contact) = setup.items("contact_profiles")[0] else { return }
        contact["created_at"] = ["S": "yesterday"]
        try setup.original.put("contact_profiles", .object(contact))
        guard case .object(var version) = setup.items("attribute_values")[0] else { return }
        version["data_type_attribute_name"] = ["S": "vendor-rating"]
        version["value_version_uuid"] = ["S": "11111111111111111111"]
        try setup.original.put("attribute_values", .object(version))
        try setup.original.put(
            "activity_history",
            ["id": ["S": "00000000000000000001"], "timestamp": ["N": "1.5"], "type": ["S": "Place"]])

        let error = await #expect(throws: MigrationError.self) { try await setup.migration().run() }
        let message = error?.description ?? ""
        let key = Self.s(.object(contact), "contact_uuid")!
        #expect(
            message.contains(
                "\(setup.original.prefix)contact_profiles item (partition_key=\(Self.s(.object(contact), "partition_key")!), contact_uuid=\(key)): attribute `created_at` `yesterday` is not a timestamp"
            ), "\(message)")
        #expect(
            message.contains(
                "attribute `data_type_attribute_name` `vendor-rating` is not `<data type>-<attribute>` of a known data type (known: contact, corporation)"
            ))
        #expect(
            message.contains(
                "\(setup.original.prefix)activity_history item (id=00000000000000000001, timestamp=1.5): attribute `timestamp` is not a whole number of seconds"
            ))
        #expect(message.contains("nothing was written"))
        for table in setup.engine.registry.tableDefinitions {
            for tenant in ["dev#dev", "acme#eu"] {
                let page = try await setup.engine.store.query(
                    QueryRequest(table: table.name, partition: .string(tenant)))
                #expect(page.items.isEmpty, "\(table.name) is empty")
            }
        }
    }

    @Test func aTableWithAnotherKeySchemaIsRefusedBeforeAnythingIsRead() async throws {
        guard let setup = try await Self.setup(wrongTable: "places", fill: false) else { return }
        let error = await #expect(throws: MigrationError.self) { try await setup.migration().run() }
        #expect(
            error?.description.contains(
                "table \(setup.original.prefix)places has keys hash id (S), but the original's layout has hash partition_key (S), range place_uuid (S)"
            ) == true, "\(error?.description ?? "")")
        let tables = try await setup.engine.store.listTables()
        #expect(!tables.contains { $0.hasPrefix(setup.engine.registry.tablePrefix) }, "no AME table was created")
    }

    @Test func refusesToWriteIntoTheOriginalsTables() async throws {
        guard let original = try await OriginalTables.make() else { return }
        let registry = AMESchemaRegistry.registry.withTablePrefix(original.prefix)
        let engine = try GraphQLEngine(registry: registry, store: original.store(tables: registry.tableDefinitions))
        let migration = OriginalMigration(source: original.store(), sourcePrefix: original.prefix, target: engine)
        let error = await #expect(throws: MigrationError.self) { try await migration.run() }
        #expect(error?.description.contains("set AME_TABLE_PREFIX to a prefix of AME's own, e.g. ame-v2-") == true)
    }

    @Test func credentialsThatCannotReadAreNamedAndNothingIsWritten() async throws {
        guard let proxy = try await FaultProxy.shared.start(), let setup = try await Self.setup() else { return }
        try await FaultProxy.queue(proxy, [("denied", target: "Scan")])
        let error = await #expect(throws: MigrationError.self) {
            try await setup.migration(through: proxy).run()
        }
        let message = error?.description ?? ""
        #expect(message.contains("cannot read \(setup.original.prefix)"), "\(message)")
        #expect(message.contains("AccessDeniedException"))
        #expect(message.contains("dynamodb:DescribeTable and dynamodb:Scan"))
        let tables = try await setup.engine.store.listTables()
        #expect(!tables.contains { $0.hasPrefix(setup.engine.registry.tablePrefix) }, "no AME table was created")
    }

    @Test func throttledScansBackOffAndTheRunCompletes() async throws {
        guard let proxy = try await FaultProxy.shared.start(), let setup = try await Self.setup() else { return }
        func scans() async throws -> Int { try await FaultProxy.stats(proxy)["requests"]?["Scan"]?.intValue ?? 0 }
        let start = try await scans()
        _ = try await setup.migration(segments: 2, pageSize: 10, through: proxy).verify()
        let unthrottled = try await scans() - start

        try await FaultProxy.queue(proxy, Array(repeating: ("throttle", target: "Scan"), count: 6))
        let throttledStart = try await scans()
        let report = try await setup.migration(segments: 2, pageSize: 10, through: proxy).run()
        let throttled = try await scans() - throttledStart
        #expect(report.totalWritten == Self.expectedItems(setup))
        // A verification is the tables' check (one one-item Scan per table) and one reading; a run
        // is the check, the same reading twice (check, then copy), and one resent Scan per
        // throttled answer.
        let check = 6
        #expect(
            throttled == check + 2 * (unthrottled - check) + 6,
            "Scans: \(throttled) with throttling, \(unthrottled) per verification")
        let verification = try await setup.migration().verify()
        #expect(verification.isEqual)
    }
}
