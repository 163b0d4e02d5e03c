import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real tinyproxy on 127.0.0.1, started with a generated configuration, for the proxy tests.
final class Tinyproxy {
    static let executable = "/usr/bin/tinyproxy"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    let port: Int
    private let process: Process
    private let directory: URL

    /// - Parameter basicAuth: user and password the proxy demands (`Proxy-Authorization: Basic`).
    init(basicAuth: (user: String, password: String)? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("phe-tinyproxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try closedPort()
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
        // No ConnectPort line: CONNECT to every port (the fake providers listen on ephemeral ones).
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
            throw POSIXError(.ECONNREFUSED)
        }
    }

    /// `http://127.0.0.1:<port>`, with credentials when given.
    func url(user: String? = nil, password: String? = nil) -> String {
        let credentials = user.map { "\($0):\(password ?? "")@" } ?? ""
        return "http://\(credentials)127.0.0.1:\(port)"
    }

    /// The `CONNECT` requests the proxy received, as `host:port`.
    var tunnelsRequested: [String] {
        let log = (try? String(contentsOf: directory.appendingPathComponent("log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "): CONNECT ") else { return nil }
            return line[range.upperBound...].split(separator: " ").first.map(String.init)
        }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
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
