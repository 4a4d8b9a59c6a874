// RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.

public enum CSVReader {
    /// The records of `text` with the line each starts on; `path` names the file in errors.
    public static func records(_ text: String, path: String) throws -> [(line: Int, fields: [String])] {
        var rows: [(line: Int, fields: [String])] = [], row: [String] = [], field = ""
        var quoted = false, line = 1, recordLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending = iterator.next()
        while let c = pending {
            pending = iterator.next()
            if quoted {
                if c == "\"" {
                    if pending == "\"" {
                        field.unicodeScalars.append("\"")
                        pending = iterator.next()
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty: quoted = true
            case ",": row.append(field); field = ""
            case "\r": continue
            case "\n":
                row.append(field)
                rows.append((recordLine, row))
                row = []; field = ""
                line += 1
                recordLine = line
            default: field.unicodeScalars.append(c)
            }
        }
        if quoted { throw CorpusError.malformedRecord(path: path, line: recordLine, reason: "a quoted field is never closed") }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append((recordLine, row))
        }
        return rows
    }
}
