// BoringSSL's SHA-256 and HMAC: the library NIOSSL already builds for TLS (swift-crypto wraps the same functions
// on Linux, at the cost of a second BoringSSL build).
import CNIOBoringSSL
import HealthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// AWS Signature Version 4 (header form): the `Authorization` header of a request, from its method, target,
/// headers and body, so that AWS can check who sent it and that nothing was changed on the way.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
struct SigV4Signer: Sendable {
    let credentials: AWSCredentials
    /// The signing name (`bedrock` for both the control plane and the runtime).
    let service: String
    let region: String

    /// Headers the HTTP client sets or may replace on its own: signing them would break the signature.
    static let unsignedHeaders: Set<String> = [
        "authorization", "user-agent", "content-length", "transfer-encoding", "connection", "expect",
    ]

    /// Adds `X-Amz-Date`, the session token when there is one, and `Authorization`.
    func sign(_ request: inout HTTPProbeRequest, at date: Date) {
        guard let url = ProbeURL(request.url) else { return }
        let timestamp = Self.timestamp(date)
        let scope = "\(timestamp.prefix(8))/\(region)/\(service)/aws4_request"
        request.headers.removeAll { ["authorization", "x-amz-date", "x-amz-security-token"].contains($0.0.lowercased()) }
        request.headers.append(("X-Amz-Date", timestamp))
        if let token = credentials.sessionToken { request.headers.append(("X-Amz-Security-Token", token)) }

        let canonical = canonicalRequest(request, url: url)
        let stringToSign = [
            "AWS4-HMAC-SHA256", timestamp, scope, Self.hex(Self.sha256(Array(canonical.request.utf8))),
        ].joined(separator: "\n")
        let signature = Self.hex(Self.hmacSHA256(Array(stringToSign.utf8), key: signingKey(timestamp)))
        request.headers.append(
            ("Authorization",
             "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
                + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"))
    }

    /// The canonical request and the names of the headers it covers.
    func canonicalRequest(_ request: HTTPProbeRequest, url: ProbeURL) -> (request: String, signedHeaders: String) {
        var headers: [String: [String]] = ["host": [url.origin.hostHeader]]
        for (name, value) in request.headers {
            let name = name.lowercased()
            guard !Self.unsignedHeaders.contains(name), name != "host" else { continue }
            // Inner runs of spaces count as one; the value is trimmed.
            headers[name, default: []].append(value.split(whereSeparator: \.isWhitespace).joined(separator: " "))
        }
        let names = headers.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let path = url.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query = path.count > 1 ? Self.canonicalQuery(String(path[1])) : ""
        let canonical = [
            request.method.uppercased(),
            // The path as sent is encoded once more: AWS services other than S3 sign it double-encoded.
            percentEncoded(String(path[0]), keepSlash: true),
            query,
            names.map { "\($0):\(headers[$0]!.joined(separator: ","))\n" }.joined(),
            signedHeaders,
            Self.hex(Self.sha256(request.body ?? [])),
        ].joined(separator: "\n")
        return (canonical, signedHeaders)
    }

    /// The query as sent (already percent-encoded), its parameters sorted by name, then value.
    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&").map { pair -> (String, String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        return pairs.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// The key of one day, region and service, derived from the secret access key.
    private func signingKey(_ timestamp: String) -> [UInt8] {
        var key = Array(("AWS4" + credentials.secretAccessKey).utf8)
        for part in [String(timestamp.prefix(8)), region, service, "aws4_request"] {
            key = Self.hmacSHA256(Array(part.utf8), key: key)
        }
        return key
    }

    static func sha256(_ message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        message.withUnsafeBufferPointer { _ = SHA256($0.baseAddress, $0.count, &digest) }
        return digest
    }

    static func hmacSHA256(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var code = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var length: UInt32 = 0
        let done = HMAC(EVP_sha256(), key, key.count, message, message.count, &code, &length)
        precondition(done != nil && length == code.count, "HMAC-SHA256 failed")
        return code
    }

    /// `20240501T120000Z`, in UTC.
    static func timestamp(_ date: Date) -> String {
        UTCTimestamp(unixSeconds: date.timeIntervalSince1970).basicFormat
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
        return String(decoding: text, as: UTF8.self)
    }
}
