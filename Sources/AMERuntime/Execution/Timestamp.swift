import Foundation

/// A point in time as the write path records it: ISO 8601 with microseconds, in UTC
/// (`2026-12-01T08:31:40.817790Z`), which sorts chronologically as text.
///
/// It also reads the forms stored before: AME's milliseconds (`…T08:31:40.817Z`) and the
/// original service's pynamodb format (`2026-12-01T08:31:40.817790+0000`), so a migrated value
/// keeps its exact instant.
public struct Timestamp: Sendable, Comparable, Hashable {
    public var microsecondsSince1970: Int64

    public init(microsecondsSince1970: Int64) {
        self.microsecondsSince1970 = microsecondsSince1970
    }

    public init(millisecondsSince1970: Int64) {
        self.init(microsecondsSince1970: millisecondsSince1970 * 1000)
    }

    /// Whole seconds since 1970 (the original's `activity_history.timestamp`).
    public init(secondsSince1970: Int64) {
        self.init(microsecondsSince1970: secondsSince1970 * 1_000_000)
    }

    public var millisecondsSince1970: Int64 { Self.floorDivide(microsecondsSince1970, 1000) }

    @Sendable public static func now() -> Timestamp {
        Timestamp(microsecondsSince1970: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }

    /// The earliest and latest instants written with a four-digit year.
    static let range: ClosedRange<Int64> = -62_135_596_800_000_000...253_402_300_799_999_999

    /// `2026-11-26T20:00:00.123456Z`.
    public var iso8601: String {
        let clamped = min(max(microsecondsSince1970, Self.range.lowerBound), Self.range.upperBound)
        let seconds = Self.floorDivide(clamped, 1_000_000)
        let micros = clamped - seconds * 1_000_000
        let days = Self.floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(micros, 6))Z"
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HHMM|±HH:MM)`: up to 6 fractional digits are kept
    /// exactly (more are refused rather than rounded); `nil` for anything else.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        func number(_ width: Int) -> Int64? {
            guard offset + width <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[offset..<offset + width] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            offset += width
            return value
        }
        func expect(_ character: UInt8) -> Bool {
            guard offset < bytes.count, bytes[offset] == character else { return false }
            offset += 1
            return true
        }
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
            expect(0x54), let hour = number(2), expect(0x3A), let minute = number(2), expect(0x3A),
            let second = number(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year), hour < 24,
            minute < 60, second < 60
        else { return nil }
        var micros: Int64 = 0
        if expect(0x2E) {
            var digits = 0
            while offset < bytes.count, (0x30...0x39).contains(bytes[offset]) {
                guard digits < 6 else { return nil }
                micros = micros * 10 + Int64(bytes[offset] - 0x30)
                digits += 1
                offset += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<6 { micros *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if expect(0x5A) {
            // Z: UTC.
        } else if offset < bytes.count, bytes[offset] == 0x2B || bytes[offset] == 0x2D {
            let sign: Int64 = bytes[offset] == 0x2D ? -1 : 1
            offset += 1
            guard let hours = number(2) else { return nil }
            _ = expect(0x3A)
            guard let minutes = number(2), hours < 24, minutes < 60 else { return nil }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard offset == bytes.count else { return nil }
        let days = Self.days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        self.init(microsecondsSince1970: seconds * 1_000_000 + micros)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSince1970 < rhs.microsecondsSince1970
    }

    // MARK: Calendar arithmetic (proleptic Gregorian, UTC)

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    }

    private static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a civil date.
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
