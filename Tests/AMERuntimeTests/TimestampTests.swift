import AMERuntime
import Foundation
import Testing

/// Stored timestamps: microseconds in UTC, sorting as text, and every form stored before read
/// back to the same instant.
@Suite struct TimestampTests {
    @Test func writesMicrosecondsInUTC() {
        #expect(Timestamp(microsecondsSince1970: 0).iso8601 == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microsecondsSince1970: 1_796_113_900_817_790).iso8601 == "2026-12-01T08:31:40.817790Z")
        #expect(Timestamp(microsecondsSince1970: -1).iso8601 == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp(secondsSince1970: 1_796_116_154).iso8601 == "2026-12-01T09:09:14.000000Z")
    }

    @Test func readsTheOriginalsPynamodbFormatWithoutLosingAMicrosecond() {
        let original = Timestamp(iso8601: "2026-12-01T08:31:40.817790+0000")
        #expect(original?.microsecondsSince1970 == 1_796_113_900_817_790)
        #expect(original?.iso8601 == "2026-12-01T08:31:40.817790Z")
    }

    @Test func readsMillisecondsAndOffsets() {
        #expect(Timestamp(iso8601: "2026-11-26T20:00:00.123Z")?.iso8601 == "2026-11-26T20:00:00.123000Z")
        #expect(Timestamp(iso8601: "2026-11-26T20:00:00Z")?.iso8601 == "2026-11-26T20:00:00.000000Z")
        #expect(Timestamp(iso8601: "2026-11-26T22:30:00.5+02:30")?.iso8601 == "2026-11-26T20:00:00.500000Z")
        #expect(Timestamp(iso8601: "2026-11-26T17:00:00-0300")?.iso8601 == "2026-11-26T20:00:00.000000Z")
    }

    @Test func agreesWithFoundationOverTheCalendar() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let seconds = Int64.random(in: -2_000_000_000...4_000_000_000, using: &generator)
            let stamp = Timestamp(secondsSince1970: seconds)
            let foundation = Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(
                Date.ISO8601FormatStyle(includingFractionalSeconds: false))
            #expect(stamp.iso8601 == foundation.dropLast() + ".000000Z")
            #expect(Timestamp(iso8601: stamp.iso8601) == stamp)
        }
    }

    @Test func sortsChronologicallyAsText() {
        let instants: [Int64] = [
            -86_400_000_001, 0, 1, 999_999, 1_000_000, 1_796_113_900_817_790, 253_402_300_799_999_999,
        ]
        let texts = instants.map { Timestamp(microsecondsSince1970: $0).iso8601 }
        #expect(texts == texts.sorted())
    }

    @Test func refusesWhatIsNotATimestamp() {
        for text in [
            "", "2026-12-01", "2026-12-01T08:31:40", "2026-12-01T08:31:40.Z", "2026-12-01T08:31:40.8177901Z",
            "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T08:31:40Zjunk",
            "2026-12-01 08:31:40Z", "２０２６-12-01T08:31:40Z", "2026-12-01T08:31:40+24:00", "2026-12-01T08:31:40\u{0}Z",
        ] {
            #expect(Timestamp(iso8601: text) == nil, "\(text)")
        }
        #expect(Timestamp(iso8601: "2024-02-29T23:59:59.999999Z")?.iso8601 == "2024-02-29T23:59:59.999999Z")
    }
}
