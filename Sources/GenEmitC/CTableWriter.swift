// GenEmitC/CTableWriter.swift - Writes constant tables as C arrays, and C integer literals.

import GenLowering

/// Formats integers and arrays for C. All numbers written by the emitter pass through here.
package enum CTableWriter {
    /// An integer literal valid in C99 for any int32 (INT32_MIN needs the `(-2147483647 - 1)` form).
    package static func literal(_ value: Int64) -> String {
        if value == Int64(Int32.min) { return "(-2147483647 - 1)" }
        return String(value)
    }

    /// `static const int8_t name[R][C] = { ... };` with 16 values a line (8 for 32-bit types) and
    /// a `/* row i */` marker per row of 2-D tables.
    package static func table(
        _ table: ConstantTable, name: String, attribute: String, comment: String
    ) -> String {
        let perLine = table.elementType.byteCount >= 4 ? 8 : 16
        let dimensions = table.shape.map { "[\($0)]" }.joined()
        var out = "/* \(comment) */\n"
        out += "static const \(table.elementType.cName) \(name)\(dimensions)"
        if !attribute.isEmpty { out += " " + attribute }
        out += " = {\n"
        let rowLength = table.shape.count == 2 ? table.shape[1] : table.values.count
        let rows = table.shape.count == 2 ? table.shape[0] : 1
        out.reserveCapacity(out.utf8.count + table.values.count * 6 + rows * 24)
        for row in 0..<rows {
            let values = table.values[(row * rowLength)..<((row + 1) * rowLength)]
            let indent = table.shape.count == 2 ? "        " : "    "
            if table.shape.count == 2 { out += "    { /* row \(row) */\n" }
            var position = 0
            for value in values {
                if position % perLine == 0 { out += indent }
                out += literal(value)
                position += 1
                if position < rowLength { out += position % perLine == 0 ? ",\n" : ", " } else { out += "\n" }
            }
            if table.shape.count == 2 { out += row + 1 < rows ? "    },\n" : "    }\n" }
        }
        out += "};\n\n"
        return out
    }
}
