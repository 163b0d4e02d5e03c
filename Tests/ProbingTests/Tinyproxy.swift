import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real tinyproxy (Debian's, installed by `scripts/install-deps.sh --test`) on 127.0.0.1, started with a
/// generated configuration and stopped by the test.
final class Tinyproxy {
    static let executable = "/usr/bin/tinyproxy"

    struct NotInstalled: Error, CustomStringConvertible {
        var description: String {
            "\(Tinyproxy.executable) is missing: the proxy tests need Debian's tinyproxy (run scripts/install-deps.sh --test)"
        }
    }

    struct DidNotStart: Error, CustomStringConvertible {
        var description: String { "tinyproxy did not listen within 5 s" }
    }

    let port: Int
    private let process: Process
    private let directory: URL

    /// - Parameter basicAuth: the user and password the proxy demands (`Proxy-Authorization: Basic`).
    init(basicAuth: (user: String, password: String)? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else { throw NotInstalled() }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("phe-tinyproxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try closedPort()
        // No ConnectPort line: CONNECT to every port (the fake providers listen on ephemeral ones). Connect-level
        // logging records every request line, CONNECT included.
        var configuration = """
            Listen 127.0.0.1
            Port \(port)
            Allow 127.0.0.1
            Timeout 30
            MaxClients 64
            LogLevel Connect
            LogFile "\(directory.appendingPathComponent("log").path)"
            PidFile "\(directory.appendingPathComponent("pid").path)"

            """
        if let basicAuth { configuration += "BasicAuth \(basicAuth.user) \(basicAuth.password)\n" }
        let file = directory.appendingPathComponent("tinyproxy.conf")
        try configuration.write(to: file, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["-d", "-c", file.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard waitUntilListening(within: 5) else {
            stop()
            throw DidNotStart()
        }
    }

    /// `http://[user:password@]127.0.0.1:<port>`.
    func url(user: String? = nil, password: String? = nil) -> String {
        let credentials = user.map { "\($0):\(password ?? "")@" } ?? ""
        return "http://\(credentials)127.0.0.1:\(port)"
    }

    /// The request lines the proxy received, in order (`CONNECT localhost:1234 HTTP/1.1`).
    var requests: [String] {
        let log = (try? String(contentsOf: directory.appendingPathComponent("log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").compactMap { line in
            guard line.contains("Request (file descriptor"), let range = line.range(of: "): ") else { return nil }
            return String(line[range.upperBound...])
        }
    }

    /// Ends the proxy: SIGTERM, and SIGKILL when it still runs after a second (tinyproxy waits for its open
    /// connections, and a client may still hold a tunnel).
    func stop() {
        if process.isRunning {
            process.terminate()
            if !waitForExit(within: 1) {
                kill(process.processIdentifier, SIGKILL)
                _ = waitForExit(within: 5)
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Polls instead of `waitUntilExit`, which spins a run loop.
    private func waitForExit(within seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < end { usleep(10_000) }
        return !process.isRunning
    }

    private func waitUntilListening(within seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if canConnect(port: port) { return true }
            usleep(20_000)
        }
        return false
    }
}

private func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

/// The machine's own host name and the first IPv4 address it resolves to, when it resolves: a name for this
/// machine that is not `localhost`, so that `NO_PROXY` decides for it (Go never proxies `localhost` itself).
func ownHostNameAndAddress() -> (name: String, address: String)? {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count) == 0 else { return nil }
    let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard !name.isEmpty, name != "localhost" else { return nil }
    var hints = addrinfo()
    hints.ai_family = AF_INET
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(name, nil, &hints, &list) == 0, let first = list else { return nil }
    defer { freeaddrinfo(list) }
    guard let sockaddr = first.pointee.ai_addr else { return nil }
    var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
    let address = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
    var copy = address
    guard inet_ntop(AF_INET, &copy, &text, socklen_t(text.count)) != nil else { return nil }
    return (name, String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
}
