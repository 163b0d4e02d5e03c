import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking loopback HTTP client on its own thread: sends one request and reads until the server closes.
///
/// Used where URLSession cannot be: FoundationNetworking on Linux traps when a server closes the
/// connection after a status line but before the end of the headers, which is exactly what a dripping
/// server does when it shuts down.
enum RawHTTPConnection {
    struct Received: Sendable {
        var bytes: [UInt8]
        /// The server closed the connection (rather than the read timing out).
        var closedByServer: Bool
    }

    static func exchange(port: Int, path: String, readTimeout: Double = 10) async -> Received {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: blockingExchange(port: port, path: path, readTimeout: readTimeout))
            }
            thread.start()
        }
    }

    private static func blockingExchange(port: Int, path: String, readTimeout: Double) -> Received {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return Received(bytes: [], closedByServer: false) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: Int(readTimeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return Received(bytes: [], closedByServer: false) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[0..<count]
            } else {
                return Received(bytes: received, closedByServer: count == 0 || errno == ECONNRESET)
            }
        }
    }
}
