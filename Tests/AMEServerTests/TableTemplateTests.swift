import AMEGenerated
import AMERuntime
import Foundation
import Testing

@testable import AMEServer

/// `ame tables template`: the schema's tables as CloudFormation resources, the same definitions
/// `ame tables create` sends, and the text `deploy/template.yaml` holds.
@Suite struct TableTemplateTests {
    static let registry = AMESchemaRegistry.registry
    static let rendered = TableTemplate.render(registry)

    @Test func theCommittedTemplateHoldsExactlyTheRenderedTables() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let template = try String(contentsOf: root.appendingPathComponent("deploy/template.yaml"), encoding: .utf8)
        let lines = template.split(separator: "\n", omittingEmptySubsequences: false)
        let begin = try #require(lines.firstIndex(of: "  # BEGIN ame tables template"))
        let end = try #require(lines.firstIndex(of: "  # END ame tables template"))
        let committed = lines[(begin + 1)..<end].joined(separator: "\n") + "\n"
        // The command prints `Resources:` first; the template's block is what follows it.
        #expect(Self.rendered.hasPrefix("Resources:\n"))
        #expect(committed == String(Self.rendered.dropFirst("Resources:\n".count)))
    }

    @Test func everyTableIsAResourceNamedUnderThePrefixKeptOnDeletion() {
        let tables = Self.registry.tableDefinitions
        #expect(tables.count > 1)
        let resources = Self.rendered.split(separator: "\n").filter { $0.hasSuffix("Table:") && $0.hasPrefix("  ") }
        #expect(resources.count == tables.count)
        for table in tables {
            let name = String(table.name.dropFirst(Self.registry.tablePrefix.count))
            #expect(Self.rendered.contains("  \(TableTemplate.logicalId(name)):\n    Type: AWS::DynamoDB::Table\n"))
            #expect(Self.rendered.contains("      TableName: !Sub \"${TablePrefix}\(name)\"\n"))
            // The key attributes of every table are declared and keyed as the store creates them.
            #expect(Self.rendered.contains("- AttributeName: \(table.partitionAttribute)\n"))
            #expect(Self.rendered.contains("- AttributeName: \(table.sortAttribute)\n"))
            for index in table.indexes { #expect(Self.rendered.contains("- IndexName: \(index.name)\n")) }
        }
        let count = { (needle: String) in Self.rendered.components(separatedBy: needle).count - 1 }
        #expect(count("    DeletionPolicy: Retain\n") == tables.count)
        #expect(count("    UpdateReplacePolicy: Retain\n") == tables.count)
        #expect(count("        PointInTimeRecoveryEnabled: true\n") == tables.count)
        // The stack names the tables: the template never carries a literal TableName of its own.
        #expect(!Self.rendered.contains("TableName: \(Self.registry.tablePrefix)"))
    }

    /// The lines of one table's resource in a rendered template.
    static func resource(_ logicalId: String, in rendered: String) throws -> String {
        let lines = rendered.split(separator: "\n")
        let start = try #require(lines.firstIndex(of: "  \(logicalId):"))
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("  ") && !$0.hasPrefix("   ") } ?? lines.endIndex
        return lines[start..<end].joined(separator: "\n")
    }

    @Test func aGlobalProjectsRuntimeTablesHaveGlobalIndexesOnly() throws {
        let generated = Self.registry
        let global = SchemaRegistry(
            sdl: generated.sdl, tablePrefix: generated.tablePrefix, entities: generated.entities,
            systemRecords: generated.systemRecords, schemaVersion: generated.schemaVersion,
            runtimeTablesLayout: .global)
        let rendered = TableTemplate.render(global)
        for (table, index) in [
            ("AttributeValuesTable", "value_version_uuid-index"), ("ActivityHistoryTable", "type-index"),
        ] {
            let resource = try Self.resource(table, in: rendered)
            #expect(resource.contains("GlobalSecondaryIndexes:"), "\(resource)")
            #expect(resource.contains("- IndexName: \(index)"), "\(resource)")
            #expect(!resource.contains("LocalSecondaryIndexes"), "\(resource)")
            // The local project's template (deploy/template.yaml) keeps them local.
            let local = try Self.resource(table, in: Self.rendered)
            #expect(local.contains("LocalSecondaryIndexes:") && !local.contains("GlobalSecondaryIndexes"), "\(local)")
        }
    }

    @Test func logicalIdsAreTheTableNameInUpperCamelCase() {
        #expect(TableTemplate.logicalId("contact_profiles") == "ContactProfilesTable")
        #expect(TableTemplate.logicalId("ame-system.v2") == "AmeSystemV2Table")
        #expect(TableTemplate.logicalId("places") == "PlacesTable")
    }

    @Test func scalarsAreQuotedUnlessYAMLReadsThemAsThePlainString() {
        for plain in ["HASH", "contact_uuid", "email-index", "v1.2", "S"] {
            #expect(TableTemplate.scalar(.string(plain)) == plain)
        }
        // Words YAML reads as booleans or null, numbers, empty and other characters are quoted.
        for quoted in ["true", "No", "null", "y", "12", "1.5", "", "a b", "x:y", "#tag"] {
            #expect(TableTemplate.scalar(.string(quoted)) == JSONValue.string(quoted).jsonText)
        }
        #expect(TableTemplate.scalar(.int(5)) == "5")
        #expect(TableTemplate.scalar(.bool(true)) == "true")
        #expect(TableTemplate.scalar(.object(JSONObject())) == "{}")
        #expect(TableTemplate.scalar(.array([])) == "[]")
    }

    @Test func nestedValuesAreBlockYAML() {
        let value: JSONValue = [
            "Name": "x", "Empty": .object(JSONObject()), "List": [["A": "1", "B": ["c", "d"]], "plain"], "None": [],
        ]
        #expect(
            TableTemplate.yaml(value, indent: 2) == [
                "  Name: x", "  Empty: {}", "  List:", "    - A: \"1\"", "      B:", "        - c", "        - d",
                "    - plain", "  None: []",
            ])
        #expect(TableTemplate.yaml("top", indent: 4) == ["    top"])
    }
}
