/// The Markdown tables `ame-bench layouts` prints from the simulation's rows: deterministic
/// text, the same for the same rows.
public enum LayoutReport {
    /// What each item and each request weighs, per entity and layout (from the rows of the
    /// smallest item count; none of it depends on the count).
    public static func perItem(_ rows: [LayoutSimulation.Row]) -> String {
        var lines = [
            "entity | layout | item, B | index entries, B | stored per item, B | writes fail from | get | page of 100 by key | page of 100 by index | upsert, WCU",
            "---|---|---|---|---|---|---|---|---|---",
        ]
        var seen = Set<String>()
        for row in rows where seen.insert("\(row.entity) \(row.layout)").inserted {
            let entries = row.indexes.map { "\($0.name) \(grouped($0.entryBytes))" }.joined(separator: ", ")
            let pages = row.indexes.map { "\($0.name) \(units($0.pageReadUnits)) (\($0.isGlobal ? "GSI" : "LSI"))" }
                .joined(separator: ", ")
            let cap = row.itemsAtCap.map { "\(grouped($0)) items" } ?? "no cap"
            lines.append(
                "\(row.entity) | \(row.layout) | \(grouped(row.itemBytes)) | \(entries.isEmpty ? "–" : entries) | "
                    + "\(grouped(row.storedBytesPerItem)) | \(cap) | \(units(row.getReadUnits)) | "
                    + "\(units(row.keyPageReadUnits)) | \(pages.isEmpty ? "–" : pages) | \(units(row.upsertWriteUnits))"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What the tenant's size does, per entity, layout and item count.
    public static func perTenant(_ rows: [LayoutSimulation.Row]) -> String {
        var lines = [
            "entity | layout | items | item collection / largest key | under the 10 GB cap | partitions (table; indexes) | RCU/s | WCU/s | count: requests | count: RCU",
            "---|---|---|---|---|---|---|---|---|---",
        ]
        for row in rows {
            let indexPartitions = row.indexes.map { "\($0.name) \($0.isGlobal ? grouped($0.partitions) : "in table")" }
            let partitions = ([grouped(row.tablePartitions)] + indexPartitions).joined(separator: "; ")
            let cap = row.itemsAtCap == nil ? "no cap" : row.withinCap ? "yes" : "**no**"
            lines.append(
                "\(row.entity) | \(row.layout) | \(grouped(row.items)) | \(gigabytes(row.collectionBytes)) | \(cap) | "
                    + "\(partitions) | \(grouped(Int(row.readUnitsPerSecond))) | \(grouped(Int(row.writeUnitsPerSecond))) | "
                    + "\(grouped(row.countRequests)) | \(units(row.countReadUnits))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `1234567` as `1,234,567`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var text = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return value < 0 ? "-" + text : text
    }

    /// Units are multiples of a half: `3`, `3.5`, grouped.
    static func units(_ value: Double) -> String {
        let halves = Int((value * 2).rounded())
        return grouped(halves / 2) + (halves % 2 == 0 ? "" : ".5")
    }

    /// Bytes in GB of 2^30 bytes, two decimals (rounded up, so that a size just past a limit
    /// never reads as the limit).
    static func gigabytes(_ bytes: Int) -> String {
        let hundredths = Int((Double(bytes) * 100 / 1_073_741_824).rounded(.up))
        let fraction = hundredths % 100
        return "\(grouped(hundredths / 100)).\(fraction < 10 ? "0" : "")\(fraction) GB"
    }
}
