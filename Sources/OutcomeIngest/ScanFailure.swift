/// What went wrong inside one JSON value, before the caller adds the line or index.
enum ScanFailure: Error {
    /// Not well-formed JSON (or not UTF-8) at a byte offset into the body.
    case malformed(String, offset: Int)
    /// Well-formed, but not a valid outcome.
    case invalid(String)
}
