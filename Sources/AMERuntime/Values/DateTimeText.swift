/// How `DateTime` values are answered: ISO 8601 in UTC with six fractional digits and no offset,
/// `2026-12-01T08:31:40.817790`, whatever precision and UTC offset spelling the stored text uses
/// (`…40.817Z` written by AME, `…40.817790+0000` written by the original). Also the conversion of
/// a stored time to whole seconds, which the audit trail's `Decimal` timestamp answers.
public enum DateTimeText {
    /// The answered form of a stored timestamp; text that is not a UTC ISO 8601 timestamp is
    /// answered as it is stored.
    public static func answer(_ stored: String) -> String {
        guard let parts = parse(stored) else { return stored }
        return parts.seconds + "." + parts.fraction
    }

    /// Whole seconds since 1970-01-01T00:00:00 UTC, or `nil` if the text is not a UTC timestamp.
    public static func secondsSince1970(_ stored: String) -> Int64? {
        guard let parts = parse(stored) else { return nil }
        let digits = Array(parts.seconds.utf8)
        func number(_ range: Range<Int>) -> Int64 {
            digits[range].reduce(0) { $0 * 10 + Int64($1 - 48) }
        }
        let (year, month, day) = (number(0..<4), number(5..<7), number(8..<10))
        let (hour, minute, second) = (number(11..<13), number(14..<16), number(17..<19))
        // Days from the civil date (proleptic Gregorian), as in Howard Hinnant's algorithm.
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + hour * 3_600 + minute * 60 + second
    }

    /// The ISO 8601 text of the start of a second, `2026-12-01T08:31:40`: the prefix every stored
    /// timestamp of that second begins with.
    public static func secondPrefix(secondsSince1970 seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func padded(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))T\(padded(secondOfDay / 3600, 2)):"
            + "\(padded(secondOfDay / 60 % 60, 2)):\(padded(secondOfDay % 60, 2))"
    }

    /// `YYYY-MM-DDTHH:MM:SS`, then an optional fraction, then `Z`, `+0000`, `+00:00` or nothing.
    private static func parse(_ stored: String) -> (seconds: String, fraction: String)? {
        let bytes = Array(stored.utf8)
        guard bytes.count >= 19 else { return nil }
        for (offset, byte) in bytes[0..<19].enumerated() {
            let expected: UInt8? =
                switch offset {
                case 4, 7: UInt8(ascii: "-")
                case 10: UInt8(ascii: "T")
                case 13, 16: UInt8(ascii: ":")
                default: nil
                }
            if let expected {
                guard byte == expected else { return nil }
            } else {
                guard byte >= 48 && byte <= 57 else { return nil }
            }
        }
        var index = 19
        var fraction: [UInt8] = []
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, bytes[index] >= 48 && bytes[index] <= 57 {
                fraction.append(bytes[index])
                index += 1
            }
            guard !fraction.isEmpty else { return nil }
        }
        let offset = String(decoding: bytes[index...], as: UTF8.self)
        guard ["", "Z", "+0000", "+00:00", "-0000", "-00:00"].contains(offset) else { return nil }
        let micro = fraction.prefix(6) + [UInt8](repeating: 48, count: max(0, 6 - fraction.count))
        return (String(decoding: bytes[0..<19], as: UTF8.self), String(decoding: micro, as: UTF8.self))
    }
}
