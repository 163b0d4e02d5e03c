/// Replacing text without Foundation's `replacingOccurrences(of:with:)`: occurrences are found by their UTF-8
/// bytes, left to right and not overlapping, so `"\n"` is found inside `"\r\n"` (one `Character` to the standard
/// library's own `replacing(_:with:)`), which matters for escaping.
extension StringProtocol {
    public func replacingEvery(_ target: String, with replacement: String) -> String {
        let needle = Array(target.utf8)
        guard !needle.isEmpty else { return String(self) }
        let bytes = Array(utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == needle[0], bytes.count - index >= needle.count,
                bytes[index..<index + needle.count].elementsEqual(needle)
            {
                out.append(contentsOf: replacement.utf8)
                index += needle.count
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
