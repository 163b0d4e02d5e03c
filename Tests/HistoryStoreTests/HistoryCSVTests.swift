import Testing

@testable import HistoryStore

@Suite struct HistoryCSVTests {
    @Test func headerThenOneCRLFLinePerRow() {
        let csv = historyCSV([row(1_700_000_000), row(1_700_000_030.5, "anthropic", available: false)])
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines.count == 4)  // header, two rows, and the empty tail after the last CRLF
        #expect(lines[0] == historyCSVHeader)
        #expect(lines[1] == "1700000000,openai,healthy,true,0.9,0,0.2,0.45,12,3,3,closed")
        #expect(lines[2] == "1700000030.5,anthropic,down,false,0.9,1,,,12,0,3,open")
        #expect(lines[3] == "")
    }

    @Test func emptyHistoryIsTheHeaderAlone() {
        #expect(historyCSV([]) == historyCSVHeader + "\r\n")
    }

    @Test(arguments: [
        "plain", "comma,inside", "say \"hi\"", "line\nbreak", "carriage\rreturn", "crlf\r\nend", "\"", ",", "",
        "ünïcødé, \"all\"\nat once", "=HYPERLINK(\"x\")",
    ])
    func nastyProviderNamesSurviveARoundTrip(name: String) throws {
        let csv = historyCSV([row(1, name), row(2, "after")])
        let records = parseCSV(csv)
        #expect(records.count == 3)
        #expect(records[0].count == 12)
        let first = try #require(records.dropFirst().first)
        #expect(first.count == 12)
        #expect(first[1] == name)
        #expect(records[2][1] == "after")
    }

    @Test func quotingOnlyWhenNeeded() {
        #expect(csvField("openai") == "openai")
        #expect(csvField("a,b") == "\"a,b\"")
        #expect(csvField("a\"b") == "\"a\"\"b\"")
        #expect(csvField("a\r\nb") == "\"a\r\nb\"")
    }

    @Test func numbers() {
        #expect(csvNumber(1_700_000_000) == "1700000000")
        #expect(csvNumber(0.25) == "0.25")
        #expect(csvNumber(-3) == "-3")
        #expect(csvNumber(.nan) == "")
    }
}

/// A strict RFC 4180 reader: records end with CRLF; quoted fields may hold anything, `""` is a quote.
private func parseCSV(_ text: String) -> [[String]] {
    var records: [[String]] = []
    var record: [String] = []
    var field = ""
    var quoted = false
    var scalars = Array(text.unicodeScalars)[...]
    while let scalar = scalars.popFirst() {
        if quoted {
            if scalar == "\"" {
                if scalars.first == "\"" {
                    field.unicodeScalars.append("\"")
                    scalars.removeFirst()
                } else {
                    quoted = false
                }
            } else {
                field.unicodeScalars.append(scalar)
            }
        } else if scalar == "\"" && field.isEmpty {
            quoted = true
        } else if scalar == "," {
            record.append(field)
            field = ""
        } else if scalar == "\r" && scalars.first == "\n" {
            scalars.removeFirst()
            record.append(field)
            records.append(record)
            record = []
            field = ""
        } else {
            field.unicodeScalars.append(scalar)
        }
    }
    if !field.isEmpty || !record.isEmpty {
        record.append(field)
        records.append(record)
    }
    return records
}
