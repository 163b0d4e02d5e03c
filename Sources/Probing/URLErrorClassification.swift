import Foundation
import HealthCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Maps a URLSession error code to the failure reason it stands for and a short message.
/// Messages are written here, never taken from the error, so they cannot carry a URL or header.
public func classifyURLError(_ code: URLError.Code) -> (reason: FailureReason, message: String) {
    switch code {
    case .timedOut:
        return (.timeout, "timed out")
    case .cannotConnectToHost:
        return (.connect, "connection refused")
    case .networkConnectionLost:
        return (.connect, "connection lost")
    case .notConnectedToInternet:
        return (.connect, "not connected to a network")
    case .cannotFindHost, .dnsLookupFailed:
        return (.dns, "DNS lookup failed")
    case .secureConnectionFailed, .serverCertificateHasBadDate, .serverCertificateUntrusted,
        .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid, .clientCertificateRejected,
        .clientCertificateRequired:
        return (.tls, "TLS handshake failed")
    case .badServerResponse:
        return (.badResponse, "malformed HTTP response")
    case .zeroByteResource:
        return (.badResponse, "empty response")
    case .httpTooManyRedirects, .redirectToNonExistentLocation:
        return (.badResponse, "bad redirect")
    case .unsupportedURL, .badURL:
        return (.badResponse, "unsupported URL")
    default:
        return (.badResponse, "request failed (URL error \(code.rawValue))")
    }
}

/// "timed out after 2.0s"
func timeoutMessage(_ seconds: Double) -> String {
    "timed out after \(String(format: "%.1f", seconds))s"
}
