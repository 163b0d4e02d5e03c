import ExporterServer
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Bearer-token guard for the admin routes (and, optionally, ingest). Tokens are compared in constant time.
public struct TokenGuard: Sendable {
    let token: [UInt8]?
    let purpose: String
    let howToEnable: String

    public init(token: String?, purpose: String, howToEnable: String) {
        self.token = token.map { Array($0.utf8) }.flatMap { $0.isEmpty ? nil : $0 }
        self.purpose = purpose
        self.howToEnable = howToEnable
    }

    /// Reads a token file (trimmed). The error names the file, never its content.
    public static func readTokenFile(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StartupError(description: "cannot read token file \(path)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingWhitespaceAndNewlines()
        guard !token.isEmpty else { throw StartupError(description: "token file \(path) is empty") }
        return token
    }

    /// nil when the request may proceed, else the error response.
    /// - required: when no token is configured, whether the route is refused (admin) or open (ingest).
    public func reject(_ request: HTTPRequest, required: Bool) -> HTTPResponse? {
        guard let token else {
            return required ? .jsonError(.forbidden, error: "\(purpose) disabled", detail: howToEnable) : nil
        }
        guard let header = request.headers.first(name: "authorization"), header.lowercased().hasPrefix("bearer ") else {
            var response = HTTPResponse.jsonError(
                .unauthorized, error: "authentication required", detail: "send Authorization: Bearer <token> for \(purpose)")
            response.headers.add(name: "www-authenticate", value: "Bearer")
            return response
        }
        let presented = Array(header.utf8.dropFirst(7))
        return constantTimeEqual(presented, token) ? nil : .jsonError(.forbidden, error: "invalid token", detail: "the token is not valid for \(purpose)")
    }
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
    for i in 0..<max(a.count, b.count) {
        let x = i < a.count ? a[i] : 0
        let y = i < b.count ? b[i] : 0
        difference |= x ^ y
    }
    return difference == 0 && a.count == b.count
}
