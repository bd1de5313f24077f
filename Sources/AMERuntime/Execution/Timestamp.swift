import Foundation

/// A point in time as the write path records it: ISO 8601 with milliseconds, in UTC.
public struct Timestamp: Sendable, Comparable {
    public var millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    @Sendable public static func now() -> Timestamp {
        Timestamp(millisecondsSince1970: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }

    /// `2026-11-26T20:00:00.123Z`: sorts chronologically as text.
    public var iso8601: String {
        let date = Date(timeIntervalSince1970: Double(millisecondsSince1970) / 1000)
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }
}
