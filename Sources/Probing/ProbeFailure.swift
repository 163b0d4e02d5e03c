import AsyncHTTPClient
import HealthCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#endif

/// Why an exchange ended without a complete response: the reason and a short, fixed message. The one place
/// that maps errors of async-http-client, SwiftNIO and BoringSSL to reasons; never text from the peer or the
/// request.
struct ProbeFailure: Error {
    var reason: FailureReason
    var message: String
    /// The connection closed before any byte of a response arrived.
    var closedBeforeResponse = false

    init(_ reason: FailureReason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// - Parameter afterHead: the error broke off a response whose head had arrived.
    init(_ error: any Error, afterHead: Bool, maxBodyBytes: Int) {
        if error is NIOTooManyBytesError {
            self.init(.badResponse, "response body over \(maxBodyBytes) bytes")
        } else if afterHead {
            // The provider answered, and its answer broke off (closed, reset, unparseable framing).
            self.init(.badResponse, "response cut short")
        } else if let client = error as? HTTPClientError {
            self.init(client)
        } else if error is HTTPParserError {
            self.init(.badResponse, "malformed HTTP response")
        } else {
            self.init(transport: error)
        }
    }

    private init(_ error: HTTPClientError) {
        switch error {
        case .remoteConnectionClosed:
            self.init(.connect, "connection closed without a response")
            closedBeforeResponse = true
        case .proxyAuthenticationRequired:
            self.init(.connect, "proxy authentication required")
        case .invalidProxyResponse:
            // The proxy answered the CONNECT with an error: it could not reach the provider, or refused to.
            self.init(.connect, "proxy refused the tunnel")
        case .httpProxyHandshakeTimeout:
            self.init(.timeout, "proxy timed out")
        case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
            self.init(.timeout, "connect timed out")
        case .deadlineExceeded, .readTimeout, .writeTimeout:
            self.init(.timeout, "timed out")
        case .uncleanShutdown:
            self.init(.tls, "TLS handshake failed")
        case .invalidURL, .emptyHost, .emptyScheme:
            self.init(.badResponse, "invalid URL")
        case .identityCodingIncorrectlyPresent:
            self.init(.badResponse, "malformed HTTP response")
        default:
            self.init(.connect, "connection error")
        }
    }

    /// Errors of the socket, the name lookup and the TLS handshake.
    private init(transport error: any Error) {
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            self.init(.tls, "TLS handshake failed")
            return
        }
        if let connection = error as? NIOConnectionError {
            // No address to try: the name did not resolve.
            if connection.connectionErrors.isEmpty {
                self.init(.dns, "DNS lookup failed")
            } else {
                self.init(transport: connection.connectionErrors[0].error)
            }
            return
        }
        if let channel = error as? ChannelError, case .connectTimeout = channel {
            self.init(.timeout, "connect timed out")
            return
        }
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: self.init(.connect, "connection refused")
            case ECONNRESET: self.init(.connect, "connection reset")
            case EPIPE: self.init(.connect, "connection closed while sending")
            case ETIMEDOUT: self.init(.timeout, "connect timed out")
            case ENETUNREACH, EHOSTUNREACH: self.init(.connect, "network unreachable")
            case EADDRNOTAVAIL: self.init(.connect, "address not available")
            default: self.init(.connect, "connection error (errno \(io.errnoCode))")
            }
            return
        }
        if error is SocketAddressError {
            self.init(.dns, "DNS lookup failed")
            return
        }
        self.init(.connect, "connection error")
    }
}
