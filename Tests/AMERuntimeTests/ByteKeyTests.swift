import AMERuntime
import Testing

/// Keys are compared as bytes everywhere: in the store, in the caches' dictionaries.
@Suite struct ByteKeyTests {
    @Test func theEmbeddedStoreKeepsKeysThatDifferAfterANul() async throws {
        let store = try SQLiteStore(path: nil)
        let table = TableDefinition(name: "bytes", sortAttribute: "id")
        try await store.createTable(table)
        for id in ["a\u{0}x", "a\u{0}y"] {
            try await store.transactWriteItems([
                .put(table: table.name, item: [tenantAttribute: "t#default", "id": .string(id)], condition: .notExists)
            ])
        }
        for id in ["a\u{0}x", "a\u{0}y"] {
            let item = try await store.getItem(table: table.name, key: ItemKey(partition: "t#default", sort: id))
            #expect(item?["id"] == .string(id))
        }
        #expect(try await store.getItem(table: table.name, key: ItemKey(partition: "t#default", sort: "a")) == nil)
    }

    /// An empty text is bound as an empty string, never as SQL NULL (which equals nothing).
    @Test func anEmptySortKeyIsAKeyLikeAnyOther() async throws {
        let store = try SQLiteStore(path: nil)
        let table = TableDefinition(name: "bytes", sortAttribute: "id")
        try await store.createTable(table)
        try await store.transactWriteItems([
            .put(table: table.name, item: [tenantAttribute: "t#default", "id": "", "note": ""], condition: .notExists)
        ])
        let item = try await store.getItem(table: table.name, key: ItemKey(partition: "t#default", sort: ""))
        #expect(item?["note"] == "")
        let page = try await store.query(
            QueryRequest(table: table.name, partition: "t#default", sortCondition: .equals("")))
        #expect(page.items.count == 1)
    }

    @Test func tableKeysCompareTheirTableNamesAsBytes() {
        let key = ItemKey(partition: "t#default", sort: "id")
        let composed = TableKey(table: "caf\u{E9}", key: key)
        let decomposed = TableKey(table: "cafe\u{301}", key: key)
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed, TableKey(table: "caf\u{E9}", key: key)]).count == 2)
        #expect(Tenant(endpointId: "caf\u{E9}") != Tenant(endpointId: "cafe\u{301}"))
    }

    @Test func keysThatAreCanonicallyEqualButDifferInBytesAreDifferentKeys() {
        let composed = ItemKey(partition: "t#default", sort: "caf\u{E9}")
        let decomposed = ItemKey(partition: "t#default", sort: "cafe\u{301}")
        #expect(composed.sort == decomposed.sort)  // Swift's String equality is canonical…
        #expect(composed != decomposed)  // …the key's is by bytes.
        #expect(Set([composed, decomposed]).count == 2)
        #expect(composed == ItemKey(partition: "t#default", sort: "caf\u{E9}"))
    }
}
