import Foundation
import Synchronization

/// Makes the keys of inserted rows. Random UUIDs in service; a seeded sequence of UUID-shaped
/// keys for `ame seed`, so sample data is the same on every machine and every store.
public struct KeyGenerator: Sendable {
    private let make: @Sendable () -> String

    public init(_ make: @escaping @Sendable () -> String) {
        self.make = make
    }

    public func next() -> String { make() }

    /// Version 4 UUIDs from the system's random source.
    public static let random = KeyGenerator { UUID().uuidString.lowercased() }

    /// UUID-shaped keys from a SplitMix64 sequence seeded with `seed`.
    public static func seeded(_ seed: UInt64) -> KeyGenerator {
        let state = Mutex(SplitMix64(seed: seed))
        return KeyGenerator {
            let (high, low) = state.withLock { random -> (UInt64, UInt64) in (random.next(), random.next()) }
            let hex = hex16(high) + hex16(low)
            let characters = Array(hex)
            return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
        }
    }

    private static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// A small deterministic generator (SplitMix64): the same seed gives the same sequence on every
/// machine. Used for seeded keys and sample data.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
