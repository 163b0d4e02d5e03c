/// Percent-encodes one URL path segment (everything but RFC 3986 unreserved characters), so that a name with
/// `/`, `?` or spaces still links to its own page. The templates escape the result for HTML as they do any value;
/// HTML escaping alone would leave such a link pointing elsewhere.
func pathSegment(_ text: String) -> String {
    let hex = Array("0123456789ABCDEF".unicodeScalars)
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            out.unicodeScalars.append("%")
            out.unicodeScalars.append(hex[Int(byte >> 4)])
            out.unicodeScalars.append(hex[Int(byte & 0x0F)])
        }
    }
    return out
}
