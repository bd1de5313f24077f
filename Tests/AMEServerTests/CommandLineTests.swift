import AMEGenerated
import AMERuntime
import AMEServer
import Foundation
import Testing

/// The `ame` commands an operator runs once in a while, as real processes: `keys add`, `tables`
/// (create, list, delete, template, and an unknown action), `serve --print-config`, `seed` run
/// twice, an unknown store, the durability writer run to its end, and `migrate layout`.
@Suite(.serialized) struct CommandLineTests {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ame-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The key printed after `marker`: `ame_` and 64 hexadecimal digits.
    static func key(after marker: String, in output: String) -> String? {
        guard let range = output.range(of: marker) else { return nil }
        let key = String(output[range.upperBound...].prefix { !$0.isWhitespace })
        guard key.hasPrefix("ame_"), key.count == 68, key.dropFirst(4).allSatisfy(\.isHexDigit) else { return nil }
        return key
    }

    @Test func keysAddPrintsANewKeyAndItsLineOrAppendsTheLineToTheFile() throws {
        guard let binary = ServeProcessTests.requireBinary() else { return }
        let printed = try ServeProcessTests.run(binary, ["keys", "add", "--endpoint-id", "acme"])
        #expect(printed.status == 0, "\(printed.output)")
        let key = try #require(Self.key(after: "key (shown once): ", in: printed.output), "\(printed.output)")
        #expect(printed.output.contains("keys file line:   \(TenantResolver.hash(key)) acme default\n"))

        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("keys").path
        var keys: [String] = []
        for part in ["default", "eu"] {
            let added = try ServeProcessTests.run(
                binary, ["keys", "add", "--endpoint-id", "acme", "--part-id", part, "--file", file])
            #expect(added.status == 0, "\(added.output)")
            #expect(added.output.contains("the key's hash was added to \(file)"))
            keys.append(try #require(Self.key(after: "the key (shown once): ", in: added.output)))
        }
        // Each run appends its line; the file holds hashes, never a key.
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == ["\(TenantResolver.hash(keys[0])) acme default", "\(TenantResolver.hash(keys[1])) acme eu"])
        #expect(keys[0] != keys[1] && keys[0] != key)
        #expect(!lines.joined().contains("ame_"))
    }

    @Test func tablesCreateListDeleteAndTemplate() throws {
        guard let binary = ServeProcessTests.requireBinary() else { return }
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = ["--data-dir", folder.path]
        let names = AMESchemaRegistry.registry.tableDefinitions.map(\.name).sorted()

        let created = try ServeProcessTests.run(binary, ["tables", "create"] + data)
        #expect(created.status == 0, "\(created.output)")
        let listed = try ServeProcessTests.run(binary, ["tables", "list"] + data)
        #expect(listed.status == 0)
        #expect(listed.output.split(separator: "\n").map(String.init).sorted() == names)
        let deleted = try ServeProcessTests.run(binary, ["tables", "delete"] + data)
        #expect(deleted.status == 0, "\(deleted.output)")
        #expect(names.allSatisfy { deleted.output.contains("ame: table \($0) deleted") })
        let empty = try ServeProcessTests.run(binary, ["tables", "list"] + data)
        #expect(empty.status == 0 && empty.output.isEmpty, "\(empty.output)")

        let template = try ServeProcessTests.run(binary, ["tables", "template"])
        #expect(template.status == 0)
        #expect(template.output == TableTemplate.render(AMESchemaRegistry.registry))

        let unknown = try ServeProcessTests.run(binary, ["tables", "truncate"] + data)
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("unknown action `truncate`: use create, delete, list or template"))
        let store = try ServeProcessTests.run(binary, ["tables", "list", "--store", "postgres"] + data)
        #expect(store.status != 0)
        #expect(store.output.contains("unknown store `postgres`: use `embedded` or `dynamodb`"))
    }

    @Test func printConfigShowsTheEffectiveSettingsWithSecretsHidden() throws {
        guard let binary = ServeProcessTests.requireBinary() else { return }
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let secret = "a-secret-of-at-least-thirty-two-bytes-\(UUID().uuidString)"
        let printed = try ServeProcessTests.run(
            binary, ["serve", "--print-config", "--port", "4321", "--data-dir", folder.path],
            environment: ["AME_JWT_SECRET": secret])
        #expect(printed.status == 0, "\(printed.output)")
        let lines = Set(printed.output.split(separator: "\n").map(String.init))
        #expect(lines.contains("AME_PORT=4321"))
        #expect(lines.contains("AME_HOST=127.0.0.1"))
        #expect(lines.contains("AME_DATA_DIR=\(folder.path)"))
        #expect(lines.contains("AME_JWT_SECRET=***"))
        #expect(!printed.output.contains(secret))
        // Every setting is listed, set or not.
        #expect(Settings.all.allSatisfy { setting in lines.contains { $0.hasPrefix("\(setting.name)=") } })
    }

    @Test func migrateLayoutBackfillsInPlaceVerifiesAndExitsWithTheCodeOfEachError() async throws {
        guard let binary = ServeProcessTests.requireBinary() else { return }
        let data = ServeProcessTests.dataFolder()
        defer { try? FileManager.default.removeItem(at: data) }
        #expect(
            try ServeProcessTests.seed(binary, data, corporations: 0, places: 1, contacts: 2, requests: 0).status == 0)
        let contacts = AMESchemaRegistry.registry.physicalTable("contact_profiles")
        do {
            // A contact as it was stored before `last_name-index`: no composed attribute.
            let store = try SQLiteStore(path: data.appendingPathComponent("ame.sqlite").path)
            try await store.transactWriteItems([
                .put(
                    table: contacts,
                    item: [
                        tenantAttribute: "acme#default", "contact_uuid": "old-1", "email": "old@example.com",
                        "last_name": "Older", "place_uuid": "p", "version": .number("1"),
                    ], condition: nil)
            ])
            // The entity's table before a layout change, under another name.
            try await store.createTable(TableDefinition(name: "ame-contact_profiles_v0", sortAttribute: "contact_uuid"))
            try await store.transactWriteItems([
                .put(
                    table: "ame-contact_profiles_v0",
                    item: [
                        tenantAttribute: "acme#default", "contact_uuid": "v0-1", "email": "v0@example.com",
                        "last_name": "Earlier", "place_uuid": "p", "version": .number("1"),
                    ], condition: nil)
            ])
            await store.close()
        }
        let layout = ["migrate", "layout", "--entity", "ContactProfile", "--data-dir", data.path]
        let copy = try ServeProcessTests.run(binary, layout + ["--from-table", "ame-contact_profiles_v0"])
        #expect(copy.status == 0 && copy.output.contains("1 items written, 0 unchanged"), "\(copy.output)")
        // The copy is right; the target's contact stored before the index lacks its attribute.
        let fromOld = layout + ["--from-table", "ame-contact_profiles_v0", "--verify"]
        let copied = try ServeProcessTests.run(binary, fromOld)
        #expect(copied.status == 1, "\(copied.output)")
        #expect(
            copied.output.contains(
                "old-1 (not in ame-contact_profiles_v0): composed index attributes missing or wrong: tenant#last_name-index"
            ), "\(copied.output)")

        let before = try ServeProcessTests.run(binary, layout + ["--verify"])
        #expect(before.status == 1, "\(before.output)")
        #expect(before.output.contains("ame migrate verify: 1 differences; the first ones:"), "\(before.output)")
        #expect(
            before.output.contains(
                "acme#default old-1: differs from what the schema's indexes compose in tenant#last_name-index"))
        let backfill = try ServeProcessTests.run(binary, layout)
        #expect(backfill.status == 0, "\(backfill.output)")
        #expect(
            backfill.output.contains("ame migrate: pass 1 finished: 1 items written, 3 unchanged"), "\(backfill.output)"
        )
        let after = try ServeProcessTests.run(binary, layout + ["--verify"])
        #expect(after.status == 0 && after.output.contains("ame migrate verify: equal: 4 items"), "\(after.output)")
        let fixed = try ServeProcessTests.run(binary, fromOld)
        #expect(fixed.status == 0 && fixed.output.contains("ame migrate verify: equal: 1 items"), "\(fixed.output)")
        let dropped = try ServeProcessTests.run(
            binary, ["tables", "delete", "--table", "ame-contact_profiles_v0", "--data-dir", data.path])
        #expect(dropped.status == 0 && dropped.output.contains("ame: table ame-contact_profiles_v0 deleted"))
        let again = try ServeProcessTests.run(
            binary, ["tables", "delete", "--table", "ame-contact_profiles_v0", "--data-dir", data.path])
        #expect(again.status != 0 && again.output.contains("there is no table `ame-contact_profiles_v0`"))
        let schemas = try ServeProcessTests.run(
            binary, ["tables", "delete", "--table", contacts, "--data-dir", data.path])
        #expect(schemas.status != 0 && schemas.output.contains("is a table of the schema"), "\(schemas.output)")
        let listing = try ServeProcessTests.run(
            binary, ["tables", "list", "--table", contacts, "--data-dir", data.path])
        #expect(listing.status != 0 && listing.output.contains("--table goes with `delete` only"))

        let unknown = try ServeProcessTests.run(
            binary, ["migrate", "layout", "--entity", "Contact", "--data-dir", data.path])
        #expect(
            unknown.status == 64 && unknown.output.contains("the schema has no entity `Contact`"), "\(unknown.output)")
        let nothing = try ServeProcessTests.run(
            binary, ["migrate", "layout", "--entity", "Place", "--data-dir", data.path])
        #expect(nothing.status == 64 && nothing.output.contains("nothing was written"), "\(nothing.output)")
        let missing = try ServeProcessTests.run(binary, layout + ["--from-table", "ame-contacts-v0"])
        #expect(
            missing.status == 66 && missing.output.contains("`ame-contacts-v0` does not exist"), "\(missing.output)")
        let places = AMESchemaRegistry.registry.physicalTable("places")
        let keys = try ServeProcessTests.run(binary, layout + ["--from-table", places])
        #expect(keys.status == 65 && keys.output.contains("range place_uuid (S)"), "\(keys.output)")
        let pages = try ServeProcessTests.run(binary, layout + ["--page-size", "0"])
        #expect(pages.status != 0 && pages.output.contains("--page-size must be from 1 to 1000"), "\(pages.output)")
    }

    @Test func seedingTheSameTenantTwiceChangesNothingTheSecondTime() throws {
        guard let binary = ServeProcessTests.requireBinary() else { return }
        let data = ServeProcessTests.dataFolder()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = try ServeProcessTests.seed(binary, data, corporations: 1, places: 2, contacts: 3, requests: 1)
        #expect(first.status == 0, "\(first.output)")
        let second = try ServeProcessTests.seed(binary, data, corporations: 1, places: 2, contacts: 3, requests: 1)
        #expect(second.status == 0)
        #expect(
            second.output.contains("ame: tenant acme#default already holds the sample data of seed 42; nothing to do"))
    }

    @Test func theDurabilityWriterAcknowledgesEachTransactionAfterItIsDurable() async throws {
        guard let binary = ServeProcessTests.requireBinary() else { return }
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let written = try ServeProcessTests.run(
            binary, ["durability-writer", "--data-dir", folder.path, "--count", "5"])
        #expect(written.status == 0, "\(written.output)")
        #expect(written.output == (0..<5).map { "ack \($0)\n" }.joined())
        let store = try SQLiteStore(path: folder.appendingPathComponent("ame.sqlite").path)
        let page = try await store.query(QueryRequest(table: "durability", partition: "d#default"))
        #expect(Set(page.items.compactMap { $0["id"]?.stringValue }) == Set((0..<5).flatMap { ["a\($0)", "b\($0)"] }))
    }

    @Test func operationsManifestTakesFilesAndRefusesAMissingPath() throws {
        guard let binary = ServeProcessTests.requireBinary() else { return }
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("ping.graphql")
        try "query Ping { ping }\n".write(to: file, atomically: true, encoding: .utf8)
        let printed = try ServeProcessTests.run(binary, ["operations", "manifest", file.path])
        #expect(printed.status == 0, "\(printed.output)")
        let manifest = try JSONValue.parse(printed.output)
        #expect(manifest["operations"]?.arrayValue.map { $0["body"] } == ["query Ping { ping }\n"])
        let missing = folder.appendingPathComponent("nothing-here").path
        let refused = try ServeProcessTests.run(binary, ["operations", "manifest", missing])
        #expect(refused.status != 0)
        #expect(refused.output.contains("\(missing) does not exist"))
    }

    @Test func anAllowListWithoutAReadableValidManifestStopsServeBeforeItListens() throws {
        guard let binary = ServeProcessTests.requireBinary() else { return }
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let invalid = folder.appendingPathComponent("manifest.json")
        try #"{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id": "x"}]}"#.write(
            to: invalid, atomically: true, encoding: .utf8)
        let missing = folder.appendingPathComponent("absent.json").path
        let cases: [([String: String], String)] = [
            (
                ["AME_PERSISTED_QUERIES": "allow-list"],
                "AME_PERSISTED_QUERIES=allow-list needs AME_PERSISTED_QUERIES_FILE, the manifest `ame operations manifest` writes"
            ),
            (
                ["AME_PERSISTED_QUERIES": "allow-list", "AME_PERSISTED_QUERIES_FILE": invalid.path],
                "AME_PERSISTED_QUERIES_FILE \(invalid.path): "
            ),
            (
                ["AME_PERSISTED_QUERIES": "allow-list", "AME_PERSISTED_QUERIES_FILE": missing],
                "AME_PERSISTED_QUERIES_FILE \(missing) cannot be read"
            ),
        ]
        for (environment, message) in cases {
            let result = try ServeProcessTests.run(
                binary, ["serve", "--data-dir", folder.appendingPathComponent("data").path, "--port", "0"],
                environment: environment)
            #expect(result.status != 0, "\(environment)")
            #expect(result.output.contains(message), "\(result.output)")
            #expect(!result.output.contains("serving GraphQL"))
        }
    }
}
