/// Read and write capacity units, as DynamoDB bills them: a read unit is one strongly consistent
/// read of up to 4 KB (half for an eventually consistent one), a write unit one write of up to
/// 1 KB (twice that in a transaction).
public struct CapacityUnits: Sendable, Equatable, Hashable {
    public var read: Double
    public var write: Double

    public init(read: Double = 0, write: Double = 0) {
        self.read = read
        self.write = write
    }

    public static let zero = CapacityUnits()

    public static func + (lhs: CapacityUnits, rhs: CapacityUnits) -> CapacityUnits {
        CapacityUnits(read: lhs.read + rhs.read, write: lhs.write + rhs.write)
    }

    public static func += (lhs: inout CapacityUnits, rhs: CapacityUnits) { lhs = lhs + rhs }

    public var isZero: Bool { read == 0 && write == 0 }
}
