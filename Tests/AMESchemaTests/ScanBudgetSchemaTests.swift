import AMECodegen
import AMESchema
import Testing

/// A list filter no index serves is offered only where the YAML allows its scan (`scan_budget`,
/// on the field or the entity); the generator emits each field's budget for the runtime.
@Suite struct ScanBudgetSchemaTests {
    static func render(_ yaml: String) throws -> (sdl: String, swift: String) {
        let files = [SchemaLoader.File(path: "schema/book.yaml", contents: yaml)]
        let schema = try SchemaLoader().load(files)
        let sdl = SDLRenderer(schema: schema).render()
        let swift = GeneratedFiles.render(schema, files: files.map(\.path)).map(\.contents).joined()
        return (sdl, swift)
    }

    static let book = """
        entity: Book
        table: books
        key: book_uuid
        fields:
          book_uuid: { type: ID, generated: uuid }
          title:     String
          pages:     Int
          shelf:     { type: String, scan_budget: 500 }
        indexes:
          title-index: { sort: title }

        """

    static func listArguments(_ sdl: String) throws -> String {
        try #require(sdl.split(separator: "\n").first { $0.contains("  bookList(") }.map(String.init))
    }

    @Test func withoutABudgetOnlyWhatAnIndexServesIsOffered() throws {
        let arguments = try Self.listArguments(try Self.render(Self.book).sdl)
        #expect(arguments.contains("title: String"))
        #expect(arguments.contains("bookUuid: ID"))
        #expect(!arguments.contains("pages:"))
        #expect(!arguments.contains("titleContains"))
        // The field that allows its scan has both of its filters.
        #expect(arguments.contains("shelf: String"))
        #expect(arguments.contains("shelfContains: String"))
    }

    @Test func anEntityBudgetOffersEveryFilterAndIsEmittedPerField() throws {
        let (sdl, swift) = try Self.render(Self.book + "scan_budget: 2000\n")
        let arguments = try Self.listArguments(sdl)
        #expect(arguments.contains("pages: Int"))
        #expect(arguments.contains("titleContains: String"))
        #expect(swift.contains(#"attribute: "pages", graphQLName: "pages", type: .int, scanBudget: 2000"#))
        // A field's own budget is over the entity's.
        #expect(swift.contains(#"attribute: "shelf", graphQLName: "shelf", type: .string, scanBudget: 500"#))
        #expect(swift.contains(#"attribute: "title", graphQLName: "title", type: .string, scanBudget: 2000"#))
    }
}

/// A global index serves the equality filters of its partition: the tenant and its `partition`
/// field, or (without one) the tenant alone and its `sort` field. Such filters need no budget.
@Suite struct GlobalIndexSchemaTests {
    @Test func aGlobalIndexServesItsPartitionFieldWithTheTenant() throws {
        let yaml = ScanBudgetSchemaTests.book.replacingOccurrences(
            of: "  title-index: { sort: title }\n",
            with: "  title-index: { sort: title }\n  by-pages: { partition: pages, sort: title, global: true }\n")
        let (sdl, swift) = try ScanBudgetSchemaTests.render(yaml)
        #expect(try ScanBudgetSchemaTests.listArguments(sdl).contains("pages: Int"))
        #expect(
            swift.contains(
                #"IndexDefinition.global(name: "by-pages", partitionField: "pages", sortAttribute: "title")"#))
    }

    @Test func aGlobalIndexWithoutPartitionIsTheTenantAloneSortedByItsField() throws {
        let yaml = ScanBudgetSchemaTests.book.replacingOccurrences(
            of: "  title-index: { sort: title }\n",
            with:
                "  title-index: { sort: title }\n  pages-index: { sort: pages, global: true, projection: keys_only }\n")
        let (sdl, swift) = try ScanBudgetSchemaTests.render(yaml)
        #expect(try ScanBudgetSchemaTests.listArguments(sdl).contains("pages: Int"))
        #expect(
            swift.contains(
                #"IndexDefinition.global(name: "pages-index", sortAttribute: "pages", sortIsNumber: true, projection: .keysOnly)"#
            ))
    }
}

/// `layout: global` (on an entity, or for the project in `ame.yaml`) makes every index global:
/// those without `partition` hold the tenant alone, so relations and gets by a unique field are
/// served as by a local index, with no item-collection cap. The project's layout also moves the
/// runtime's own tables.
@Suite struct LayoutSchemaTests {
    static let author = """
        entity: Author
        table: authors
        key: author_uuid
        fields:
          author_uuid: { type: ID, generated: uuid }
          name:        String
        relations:
          books: { hasMany: Book, via: author_uuid }

        """

    static let book = """
        entity: Book
        table: books
        key: book_uuid
        fields:
          book_uuid:   { type: ID, generated: uuid }
          title:       String
          isbn:        { type: String, unique: true }
          author_uuid: ID
        indexes:
          author_uuid-index: { sort: author_uuid }
          isbn-index:        { sort: isbn }
        get:
          one_of: [book_uuid, isbn]

        """

    static func swift(_ files: [(String, String)]) throws -> String {
        let files = files.map { SchemaLoader.File(path: $0.0, contents: $0.1) }
        let schema = try SchemaLoader().load(files)
        return GeneratedFiles.render(schema, files: files.map(\.path)).map(\.contents).joined()
    }

    @Test func anEntityLaidOutGloballyHasOnlyGlobalIndexesOfTheTenant() throws {
        let swift = try Self.swift([
            ("schema/author.yaml", Self.author), ("schema/book.yaml", Self.book + "layout: global\n"),
        ])
        #expect(swift.contains(#"IndexDefinition.global(name: "author_uuid-index", sortAttribute: "author_uuid")"#))
        #expect(swift.contains(#"IndexDefinition.global(name: "isbn-index", sortAttribute: "isbn")"#))
        // The relation is served by the global index of the tenant sorted by its `via`.
        #expect(swift.contains(#"viaAttribute: "author_uuid", index: "author_uuid-index""#))
        let local = try Self.swift([("schema/author.yaml", Self.author), ("schema/book.yaml", Self.book)])
        #expect(local.contains(#"IndexDefinition(name: "author_uuid-index", sortAttribute: "author_uuid")"#))
    }

    @Test func theProjectsLayoutAppliesToEveryEntityUnlessItSaysOtherwise() throws {
        let swift = try Self.swift([
            ("schema/ame.yaml", "layout: global\n"), ("schema/author.yaml", Self.author),
            ("schema/book.yaml", Self.book),
        ])
        #expect(swift.contains(#"IndexDefinition.global(name: "isbn-index", sortAttribute: "isbn")"#))
        let kept = try Self.swift([
            ("schema/ame.yaml", "layout: global\n"), ("schema/author.yaml", Self.author),
            ("schema/book.yaml", Self.book + "layout: local\n"),
        ])
        #expect(kept.contains(#"IndexDefinition(name: "isbn-index", sortAttribute: "isbn")"#))
    }

    @Test func onlyTheProjectsLayoutMovesTheRuntimesOwnTables() throws {
        let project = [
            ("schema/ame.yaml", "layout: global\n"), ("schema/author.yaml", Self.author),
            ("schema/book.yaml", Self.book),
        ]
        let schema = try SchemaLoader().load(project.map { SchemaLoader.File(path: $0.0, contents: $0.1) })
        #expect(schema.layout == .global)
        #expect(try Self.swift(project).contains("runtimeTablesLayout: .global"))
        // An entity's layout is its own table's: the runtime's tables are shared by every entity.
        let entityOnly = try Self.swift([
            ("schema/author.yaml", Self.author), ("schema/book.yaml", Self.book + "layout: global\n"),
        ])
        #expect(!entityOnly.contains("runtimeTablesLayout"))
        // A local project's registry is written as before.
        let local = try Self.swift([
            ("schema/ame.yaml", "layout: local\n"), ("schema/author.yaml", Self.author),
            ("schema/book.yaml", Self.book),
        ])
        #expect(!local.contains("runtimeTablesLayout"))
    }

    @Test func anUnknownLayoutIsRefusedWithTheChoices() throws {
        #expect {
            _ = try Self.swift([
                ("schema/author.yaml", Self.author + "layout: sideways\n"), ("schema/book.yaml", Self.book),
            ])
        } throws: { error in
            "\(error)".contains("`layout` must be `local` or `global`")
        }
    }
}
