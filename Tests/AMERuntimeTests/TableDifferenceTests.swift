import AMERuntime
import Testing

/// How an existing table differs from the schema's, one sentence per difference, as
/// `ame tables create` and `ame serve` report it (the stores' descriptions are checked against
/// real tables in TableCheckTests; these are the cases a store seldom produces).
@Suite struct TableDifferenceTests {
    static let expected = TableDefinition(
        name: "ame-places", sortAttribute: "place_uuid",
        indexes: [
            IndexDefinition(name: "region-index", sortAttribute: "region"),
            IndexDefinition(
                name: "rating-index", partitionAttribute: "region", sortAttribute: "rating", sortIsNumber: true),
        ]
    ).expectedDescription

    @Test func aTableExactlyAsExpectedHasNoDifferenceAndExtraIndexesAreAllowed() {
        var found = Self.expected
        #expect(Self.expected.differences(from: found).isEmpty)
        found.indexes.append(
            .init(name: "extra-index", isGlobal: true, partition: .init("x"), sort: nil, projection: .keysOnly))
        #expect(Self.expected.differences(from: found).isEmpty)
    }

    @Test func anIndexWithOtherKeysOrScopeOrProjectionIsNamedWithBothSides() throws {
        var found = Self.expected
        let region = try #require(found.indexes.firstIndex { $0.name == "region-index" })
        let rating = try #require(found.indexes.firstIndex { $0.name == "rating-index" })
        found.indexes[region].sort = .init("region", .number)
        found.indexes[rating].isGlobal = false
        #expect(
            Self.expected.differences(from: found) == [
                "its index region-index has keys hash tenant (S), range region (N), but AME expects hash tenant (S), range region (S)",
                "its index rating-index has keys hash region (S), range rating (N), but AME expects hash region (S), range rating (N) (global)",
            ])
        found = Self.expected
        found.indexes[region].projection = .include(["region"])
        #expect(
            Self.expected.differences(from: found) == [
                "its index region-index does not project the attributes AME reads (expected ALL)"
            ])
    }

    @Test func aMissingIndexIsADifferenceUnlessTheStoreBuildsIt() {
        var found = Self.expected
        found.indexes.removeAll { $0.name == "rating-index" }
        #expect(
            Self.expected.differences(from: found) == [
                "it lacks the index rating-index (hash region (S), range rating (N))"
            ])
        #expect(Self.expected.differences(from: found, indexesCanBeAdded: true).isEmpty)
    }

    @Test func theDescriptionNamesTheKeysAndEachIndex() {
        #expect(
            Self.expected.description
                == "ame-places [hash tenant (S), range place_uuid (S)] indexes {region-index: hash tenant (S), range region (S); rating-index: hash region (S), range rating (N)}"
        )
        let bare = TableDescription(name: "t", partition: .init("pk"), sort: nil)
        #expect(bare.description == "t [hash pk (S)]")
    }
}
