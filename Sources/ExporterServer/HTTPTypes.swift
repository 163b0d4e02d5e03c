#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1

/// A fully read HTTP request, as route handlers see it.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var uri: String
    /// The raw path (not percent-decoded, so an encoded "/" inside a segment stays inside it).
    public var path: String
    /// Query parameters (last value wins), percent-decoded.
    public var query: [String: String]
    public var headers: HTTPHeaders
    /// The whole body, read before the route is called.
    public var body: [UInt8]
    /// Values of `{name}` segments of the matched route, percent-decoded.
    public var pathParameters: [String: String] = [:]
    /// The user whose basic auth credentials (from the web config file) the server verified; nil without.
    public var basicAuthUser: String?

    public init(method: HTTPMethod, uri: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
        let (path, query) = Self.split(uri)
        self.path = path
        self.query = query
    }

    static func split(_ uri: String) -> (String, [String: String]) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, [:]) }
        var query: [String: String] = [:]
        for pair in uri[uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(String(parts[0]), plusIsSpace: true)
            query[key] = parts.count > 1 ? percentDecode(String(parts[1]), plusIsSpace: true) : ""
        }
        return (String(uri[..<mark]), query)
    }
}

/// A response: status, headers, and a body buffer that may be shared (pre-rendered) — writing it copies nothing.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: HTTPResponseStatus = .ok, contentType: String, body: String) {
        self.init(status: status, headers: ["content-type": contentType], body: ByteBuffer(string: body))
    }

    /// A JSON error `{"error": ..., "detail": ...}`.
    public static func jsonError(_ status: HTTPResponseStatus, error: String, detail: String) -> HTTPResponse {
        struct ErrorAnswer: Encodable {
            var error: String
            var detail: String
        }
        return json(ErrorAnswer(error: error, detail: detail), status: status)
    }

    /// A value encoded as compact JSON with sorted keys (the same bytes every time), ended by a newline.
    public static func json(_ value: some Encodable, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return HTTPResponse(status: status, contentType: "application/json", body: body + "\n")
    }
}

func percentDecode(_ s: String, plusIsSpace: Bool = false) -> String {
    guard s.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else { return s }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(s.utf8.count)
    var it = Array(s.utf8)[...]
    while let b = it.popFirst() {
        if b == UInt8(ascii: "%"), it.count >= 2, let hi = hexValue(it[it.startIndex]), let lo = hexValue(it[it.startIndex + 1]) {
            bytes.append(hi << 4 | lo)
            it = it.dropFirst(2)
        } else if plusIsSpace && b == UInt8(ascii: "+") {
            bytes.append(UInt8(ascii: " "))
        } else {
            bytes.append(b)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

private func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
    default: return nil
    }
}
