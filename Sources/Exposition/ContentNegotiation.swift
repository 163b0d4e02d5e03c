/// Picks the exposition format for an `Accept` header: OpenMetrics 1.0.0 when the scraper ranks it
/// strictly first among what we serve, text 0.0.4 otherwise (also for a missing or unparsable header).
public func negotiateFormat(accept: String?) -> ExpositionFormat {
    guard let accept else { return .text }
    var openMetrics = Preference(), text = Preference()
    for (position, element) in HeaderList.elements(of: accept).enumerated() {
        guard let range = MediaRange(element) else { continue }
        let version = range.parameter("version")
        switch (range.type, range.subtype) {
        case ("application", "openmetrics-text"):
            // 0.0.1 is a format we do not write; a version-less range means "any version".
            if version == nil || version == "1.0.0" {
                openMetrics.offer(q: range.q, specificity: version == nil ? 2 : 3, position: position)
            }
        case ("application", "*"):
            openMetrics.offer(q: range.q, specificity: 1, position: position)
        case ("text", "plain"):
            text.offer(q: range.q, specificity: version == nil ? 2 : 3, position: position)
        case ("text", "*"):
            text.offer(q: range.q, specificity: 1, position: position)
        case ("*", "*"):
            openMetrics.offer(q: range.q, specificity: 0, position: position)
            text.offer(q: range.q, specificity: 0, position: position)
        default:
            continue
        }
    }
    guard openMetrics.q > 0 else { return .text }
    if openMetrics.q > text.q { return .openMetrics }
    // Equal rank: OpenMetrics only when named explicitly, and before text.
    if openMetrics.q == text.q, openMetrics.specificity > 0, openMetrics.position < text.position {
        return .openMetrics
    }
    return .text
}

/// Whether an `Accept-Encoding` header allows a gzip response (`gzip`, `x-gzip` or `*` with q > 0).
public func acceptsGzip(_ acceptEncoding: String?) -> Bool {
    guard let acceptEncoding else { return false }
    var gzip: Double?, any: Double?
    for element in HeaderList.elements(of: acceptEncoding) {
        let parts = HeaderList.split(element, on: ";")
        guard let coding = parts.first?.lowercased(), !coding.isEmpty else { continue }
        guard let q = HeaderList.quality(parameters: parts.dropFirst()) else { continue }
        switch coding {
        case "gzip", "x-gzip": gzip = max(gzip ?? 0, q)
        case "*": any = max(any ?? 0, q)
        default: continue
        }
    }
    if let gzip { return gzip > 0 }
    return (any ?? 0) > 0
}

/// The best-matching range seen so far for one format: most specific wins, then highest q.
private struct Preference {
    var q: Double = 0
    var specificity = -1
    var position = Int.max

    mutating func offer(q: Double, specificity: Int, position: Int) {
        if specificity > self.specificity || (specificity == self.specificity && q > self.q) {
            self.q = q
            self.specificity = specificity
            self.position = position
        }
    }
}

/// One media range of an `Accept` header.
private struct MediaRange {
    let type: String
    let subtype: String
    let q: Double
    private let parameters: [(name: String, value: String)]

    init?(_ element: Substring) {
        let parts = HeaderList.split(element, on: ";")
        guard let mediaType = parts.first else { return nil }
        let halves = mediaType.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, !halves[0].isEmpty, !halves[1].isEmpty,
              let q = HeaderList.quality(parameters: parts.dropFirst())
        else { return nil }
        type = halves[0].lowercased()
        subtype = halves[1].lowercased()
        self.q = q
        parameters = parts.dropFirst().compactMap(HeaderList.parameter)
    }

    func parameter(_ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }
}

/// Splitting of comma-separated header lists with `;name=value` parameters (quoted strings respected).
enum HeaderList {
    /// Elements of a list looked at: scrapers send a handful, and a header of thousands (up to the server's
    /// 64 KiB head limit) must not cost more than a few.
    static let maxElements = 32

    /// The first `maxElements` non-empty elements; the rest of the header is not read.
    static func elements(of header: String) -> [Substring] {
        split(Substring(header), on: ",", maxPieces: maxElements, skippingEmpty: true)
    }

    /// Splits on `separator` outside quoted strings and trims spaces and tabs around each piece; stops after
    /// `maxPieces` pieces (empty ones not counted when `skippingEmpty`, and left out).
    static func split(
        _ text: Substring, on separator: Character, maxPieces: Int = .max, skippingEmpty: Bool = false
    ) -> [Substring] {
        var pieces: [Substring] = []
        func add(_ piece: Substring) {
            let piece = trimmed(piece)
            if !(skippingEmpty && piece.isEmpty) { pieces.append(piece) }
        }
        var start = text.startIndex, inQuotes = false, escaped = false
        var index = text.startIndex
        while index < text.endIndex, pieces.count < maxPieces {
            let character = text[index]
            if escaped {
                escaped = false
            } else if inQuotes && character == "\\" {
                escaped = true
            } else if character == "\"" {
                inQuotes.toggle()
            } else if !inQuotes && character == separator {
                add(text[start..<index])
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        if pieces.count < maxPieces { add(text[start...]) }
        return pieces
    }

    /// `name=value` with the name lowercased and quotes removed from the value; nil when malformed.
    static func parameter(_ piece: Substring) -> (name: String, value: String)? {
        guard let equals = piece.firstIndex(of: "=") else { return nil }
        let name = trimmed(piece[..<equals]).lowercased()
        var value = trimmed(piece[piece.index(after: equals)...])
        if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
        return (name, String(value))
    }

    /// The q parameter (1 when absent); nil when present but not a number in 0...1, which voids the element.
    static func quality(parameters: ArraySlice<Substring>) -> Double? {
        for piece in parameters {
            guard let (name, value) = parameter(piece), name == "q" else { continue }
            guard let q = Double(value), q >= 0, q <= 1 else { return nil }
            return q
        }
        return 1
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
