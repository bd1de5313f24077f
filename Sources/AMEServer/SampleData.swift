import AMERuntime

/// Deterministic sample data for the AI Marketing Engine schema, written through the normal
/// write path (GraphQL mutations), as `ame seed` does.
public struct SampleData: Sendable {
    public var corporations = 10
    public var places = 50
    public var contacts = 100
    public var requests = 100
    public var seed: UInt64 = 42

    public init(corporations: Int = 10, places: Int = 50, contacts: Int = 100, requests: Int = 100, seed: UInt64 = 42) {
        self.corporations = corporations
        self.places = places
        self.contacts = contacts
        self.requests = requests
        self.seed = seed
    }

    /// The keys of what was written, by entity.
    public struct Keys: Sendable {
        public var corporations: [String] = []
        public var places: [String] = []
        public var contacts: [String] = []
        public var requests: [String] = []
        /// The contact of each request, by the request's position in ``requests``.
        public var requestContacts: [String] = []

        public init() {}
    }

    public struct SeedError: Error, CustomStringConvertible {
        public var description: String
        /// The tenant already holds the data of this seed (its first key exists).
        public var alreadySeeded = false
    }

    private static let regions = ["north", "south", "east", "west", "central"]
    private static let industries = ["retail", "dining", "health", "software", "logistics"]
    private static let firstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Dennis"]
    private static let lastNames = [
        "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Ritchie",
    ]

    public func load(into engine: GraphQLEngine, tenant: Tenant) async throws -> Keys {
        var random = SplitMix64(seed: seed)
        var keys = Keys()
        for index in 0..<corporations {
            let industry = Self.industries[Int(random.next() % UInt64(Self.industries.count))]
            let employees = Int(10 + random.next() % 990)
            let data: JSONValue = ["industry": .string(industry), "employees": .int(employees)]
            let result = try await run(
                engine, tenant,
                """
                mutation($v: JSONCamelCase) { insertUpdateCorporationProfile(externalId: "EXT-\(index)", corporationType: "\(industry)",
                  businessName: "Corporation \(index)", categories: ["\(industry)", "tier-\(index % 3)", "sample"],
                  address: {street: "\(index) Main St", city: "Springfield", state: "IL", zip: "627\(index % 10)0"},
                  data: $v, updatedBy: "seed") { corporationProfile { corporationUuid } } }
                """,
                variables: ["v": data]
            )
            keys.corporations.append(
                try key(result, "insertUpdateCorporationProfile", "corporationProfile", "corporationUuid"))
        }
        for index in 0..<places {
            let corporation = keys.corporations.isEmpty ? nil : keys.corporations[index % keys.corporations.count]
            let region = Self.regions[Int(random.next() % UInt64(Self.regions.count))]
            let latitude = 30 + Double(random.next() % 20_000) / 1000
            let longitude = -120 + Double(random.next() % 40_000) / 1000
            let result = try await run(
                engine, tenant,
                """
                mutation { insertUpdatePlace(region: "\(region)", latitude: "\(latitude)", longitude: "\(longitude)",
                  businessName: "Place \(index)", address: "\(index) Market St", phoneNumber: "+1-555-01\(index % 100)",
                  website: "https://place\(index).example", types: ["store"],
                  \(corporation.map { "corporationUuid: \"\($0)\"," } ?? "") updatedBy: "seed") { place { placeUuid } } }
                """
            )
            keys.places.append(try key(result, "insertUpdatePlace", "place", "placeUuid"))
        }
        var placeOfContact: [String] = []
        for index in 0..<contacts {
            let place = keys.places[index % max(keys.places.count, 1)]
            let first = Self.firstNames[Int(random.next() % UInt64(Self.firstNames.count))]
            let last = Self.lastNames[Int(random.next() % UInt64(Self.lastNames.count))]
            let score = Int(random.next() % 100)
            let data: JSONValue = ["source": "seed", "score": .int(score)]
            let result = try await run(
                engine, tenant,
                """
                mutation($v: JSONCamelCase) { insertUpdateContactProfile(email: "contact\(index)@example.com", firstName: "\(first)",
                  lastName: "\(last)", placeUuid: "\(place)", data: $v, updatedBy: "seed") { contactProfile { contactUuid } } }
                """,
                variables: ["v": data]
            )
            keys.contacts.append(try key(result, "insertUpdateContactProfile", "contactProfile", "contactUuid"))
            placeOfContact.append(place)
        }
        for index in 0..<requests where !keys.contacts.isEmpty {
            let contactIndex = index % keys.contacts.count
            let result = try await run(
                engine, tenant,
                """
                mutation { insertUpdateContactRequest(contactUuid: "\(keys.contacts[contactIndex])",
                  placeUuid: "\(placeOfContact[contactIndex])", requestTitle: "Request \(index)",
                  requestDetail: "Details of request \(index)", updatedBy: "seed") { contactRequest { requestUuid } } }
                """
            )
            keys.requests.append(try key(result, "insertUpdateContactRequest", "contactRequest", "requestUuid"))
            keys.requestContacts.append(keys.contacts[contactIndex])
        }
        return keys
    }

    private func run(
        _ engine: GraphQLEngine, _ tenant: Tenant, _ query: String, variables: JSONObject = JSONObject()
    )
        async throws -> JSONValue
    {
        let response = await engine.execute(GraphQLRequest(query: query, variables: variables), tenant: tenant)
        if let error = response.errors.first {
            throw SeedError(
                description: "seeding failed: \(error.error.code): \(error.error.message)",
                alreadySeeded: error.error.code == "CONFLICT")
        }
        return response.data ?? .null
    }

    private func key(_ data: JSONValue, _ mutation: String, _ payload: String, _ field: String) throws -> String {
        guard let key = data[mutation]?[payload]?[field]?.stringValue else {
            throw SeedError(description: "seeding failed: \(mutation) returned no \(field)")
        }
        return key
    }
}
