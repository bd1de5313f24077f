import GraphQL
import Synchronization

/// Parsed and validated documents by query text, so a repeated query skips parsing and
/// validation. Bounded: past `capacity` entries the least recently used one is dropped.
///
/// Keyed by the text's bytes: Swift's `String` equality is canonical (`é` equals `e` + U+0301),
/// and two texts that differ in their bytes are two documents, with literals that differ.
final class DocumentCache: Sendable {
    let capacity: Int
    private let state: Mutex<State>

    private struct State {
        var entries: [[UInt8]: (document: Document, lastUse: UInt64)] = [:]
        /// Documents kept for the server's life (the allow-list's operations), outside `capacity`.
        var pinned: [[UInt8]: Document] = [:]
        var clock: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        state = Mutex(State())
    }

    func document(for query: String) -> Document? {
        let query = Array(query.utf8)
        return state.withLock { state in
            state.clock += 1
            if let document = state.pinned[query] {
                state.hits += 1
                return document
            }
            guard var entry = state.entries[query] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            entry.lastUse = state.clock
            state.entries[query] = entry
            return entry.document
        }
    }

    /// Keeps a document that parsed and validated.
    func store(_ document: Document, for query: String) {
        let query = Array(query.utf8)
        state.withLock { state in
            state.clock += 1
            if state.entries[query] == nil, state.entries.count >= capacity,
                let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
            {
                state.entries[oldest] = nil
            }
            state.entries[query] = (document, state.clock)
        }
    }

    /// Keeps a document that parsed and validated for as long as the cache lives.
    func pin(_ document: Document, for query: String) {
        let query = Array(query.utf8)
        state.withLock { $0.pinned[query] = document }
    }

    /// Hits, misses and the number of cached documents.
    var statistics: (hits: Int, misses: Int, count: Int) {
        state.withLock { ($0.hits, $0.misses, $0.entries.count) }
    }
}
