import ExporterServer
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Guard of the routes that change state (outcome ingest, the admin routes). Closed by default: a request passes
/// with the route's bearer token, or with credentials the server verified against `basic_auth_users` of
/// `--web.config.file`, or — only when the route has no token — when `--web.allow-anonymous-writes` opens it.
/// Tokens are compared in constant time.
public struct TokenGuard: Sendable {
    let token: [UInt8]?
    let purpose: String
    /// The flag naming the token file, for the message that tells how to get in.
    let tokenFlag: String
    let allowAnonymous: Bool

    public init(token: String?, purpose: String, tokenFlag: String, allowAnonymous: Bool = false) {
        self.token = token.map { Array($0.utf8) }.flatMap { $0.isEmpty ? nil : $0 }
        self.purpose = purpose
        self.tokenFlag = tokenFlag
        self.allowAnonymous = allowAnonymous
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

    /// nil when the request may proceed, else the error response: 401 without credentials, 403 with a wrong token.
    public func reject(_ request: HTTPRequest) -> HTTPResponse? {
        if request.basicAuthUser != nil { return nil }
        guard let token else {
            if allowAnonymous { return nil }
            return unauthorized(
                "credentials are needed for \(purpose): a bearer token (\(tokenFlag)), basic auth (--web.config.file), "
                    + "or --web.allow-anonymous-writes")
        }
        guard let header = request.headers.first(name: "authorization"), header.lowercased().hasPrefix("bearer ") else {
            return unauthorized("send Authorization: Bearer <token> for \(purpose)")
        }
        let presented = Array(header.utf8.dropFirst(7))
        return constantTimeEqual(presented, token) ? nil : .jsonError(.forbidden, error: "invalid token", detail: "the token is not valid for \(purpose)")
    }

    private func unauthorized(_ detail: String) -> HTTPResponse {
        var response = HTTPResponse.jsonError(.unauthorized, error: "authentication required", detail: detail)
        response.headers.add(name: "www-authenticate", value: "Bearer")
        return response
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
