import ExporterServer
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking TCP client speaking raw HTTP/1.1, to see exactly what the server writes.
final class RawClient {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 20, tv_usec: 0)  // generous: CI machines are shared
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    func send(_ text: String) { send(bytes: Array(text.utf8)) }

    /// Sends everything, or stops at the first error (the server may close first; no SIGPIPE).
    func send(bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads until `count` responses are complete (by content-length) or the peer closes.
    func readResponses(_ count: Int) -> [String] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let responses = Self.split(data)
            if responses.count >= count { return responses }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return Self.split(data) }
            data += buffer[0..<n]
        }
    }

    /// Reads until `done` holds for everything read so far, or the peer closes.
    func readRaw(until done: (String) -> Bool) -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !done(String(decoding: data, as: UTF8.self)) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Everything until the server closes, and whether it closed cleanly (FIN, not a reset or the timeout).
    func readToClose() -> (text: String, clean: Bool) {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return (String(decoding: data, as: UTF8.self), true) }
            if n < 0 { return (String(decoding: data, as: UTF8.self), false) }
            data += buffer[0..<n]
        }
    }

    /// Whether the server closed the connection (EOF) within the receive timeout.
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    static func split(_ data: [UInt8]) -> [String] {
        var out: [String] = []
        var rest = String(decoding: data, as: UTF8.self)[...]
        while let headEnd = rest.range(of: "\r\n\r\n") {
            let head = rest[..<headEnd.lowerBound]
            let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            let bodyStart = headEnd.upperBound
            guard rest.utf8.distance(from: bodyStart, to: rest.endIndex) >= length else { break }
            let bodyEnd = rest.utf8.index(bodyStart, offsetBy: length)
            out.append(String(rest[..<bodyEnd]))
            rest = rest[bodyEnd...]
        }
        return out
    }
}

@Suite struct HTTPServerTests {
    func withServer(
        maxBody: Int = 1024, idle: TimeAmount = .seconds(60), configure: (inout HTTPServer.Configuration) -> Void = { _ in },
        _ body: (Int) async throws -> Void
    ) async throws {
        var router = Router()
        router.add(.GET, "/hello", .immediate { _ in HTTPResponse(contentType: "text/plain", body: "hello") })
        router.add(.POST, "/echo", .async { request in
            try? await Task.sleep(for: .milliseconds(10))
            return HTTPResponse(contentType: "text/plain", body: "got \(request.body.count)")
        })
        // What arrived, summed: immediate, and after a pause (the body outlives the request's turn on the loop).
        router.add(.POST, "/digest", .immediate { request in
            HTTPResponse(contentType: "text/plain", body: digest(request.body))
        })
        router.add(.POST, "/digest-later", .async { request in
            try? await Task.sleep(for: .milliseconds(20))
            return HTTPResponse(contentType: "text/plain", body: digest(request.body))
        })
        router.add(.GET, "/items/{name}", .immediate { request in
            HTTPResponse(contentType: "text/plain", body: "item=\(request.pathParameters["name"] ?? "?") q=\(request.query["q"] ?? "")")
        })
        var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0, maxBodyBytes: maxBody, idleTimeout: idle)
        configure(&configuration)
        let server = try await HTTPServer.start(configuration: configuration, router: router, logger: Logger(label: "test"))
        do {
            try await body(server.localPort)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcdeGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let responses = client.readResponses(3)
            #expect(responses.count == 3)
            #expect(responses[0].hasSuffix("hello"))
            #expect(responses[1].hasSuffix("got 5"))
            #expect(responses[2].hasSuffix("hello"))
        }
    }

    @Test func unknownRouteIsJSON404AndWrongMethodIs405() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            client.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\nDELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let responses = client.readResponses(2)
            #expect(responses[0].hasPrefix("HTTP/1.1 404"))
            #expect(responses[0].contains("\"error\":\"not found\"}"))
            #expect(responses[1].hasPrefix("HTTP/1.1 405"))
            #expect(responses[1].lowercased().contains("allow: get"))
        }
    }

    /// Large bodies are read into arrays reused from request to request: each route sees its own body, whether it
    /// answers at once or after other requests reused the array (concurrent connections, keep-alive, chunked).
    @Test func reusedBodyArraysNeverMixRequests() async throws {
        try await withServer(maxBody: 1 << 20) { port in
            // Blocking clients on threads of their own: the routes' tasks need the cooperative pool.
            let failures = await withCheckedContinuation { (done: CheckedContinuation<[String], Never>) in
                let group = DispatchGroup()
                let failures = NIOLockedValueBox<[String]>([])
                for connection in 0..<6 {
                    group.enter()
                    Thread.detachNewThread {
                        defer { group.leave() }
                        var generator = SeededGenerator(seed: UInt64(100 + connection))
                        guard let client = try? RawClient(port: port) else {
                            failures.withLockedValue { $0.append("connection \(connection): cannot connect") }
                            return
                        }
                        for round in 0..<4 {
                            let count = Int.random(in: 100_000...400_000, using: &generator)
                            let body = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
                            let path = (connection + round) % 2 == 0 ? "/digest" : "/digest-later"
                            if round == 3 {
                                // Chunked: no declared length.
                                var request = Array("POST \(path) HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                                request += Array("\(String(body.count, radix: 16))\r\n".utf8) + body + Array("\r\n0\r\n\r\n".utf8)
                                client.send(bytes: request)
                            } else {
                                client.send(bytes: Array("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(count)\r\n\r\n".utf8) + body)
                            }
                            let response = client.readResponses(1).first ?? "(no answer)"
                            if !response.hasSuffix("\r\n\r\n" + digest(body)) {
                                failures.withLockedValue { $0.append("connection \(connection), round \(round): \(response)") }
                            }
                        }
                    }
                }
                group.notify(queue: .global()) { done.resume(returning: failures.withLockedValue { $0 }) }
            }
            #expect(failures.isEmpty, "\(failures)")
        }
    }

    @Test func oversizeBodyGets413AndTheConnectionCloses() async throws {
        try await withServer(maxBody: 100) { port in
            let client = try RawClient(port: port)
            client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n" + String(repeating: "x", count: 500))
            let responses = client.readResponses(1)
            #expect(responses.first?.hasPrefix("HTTP/1.1 413") == true)
            #expect(responses.first?.contains("100 bytes") == true)
            #expect(client.isClosedByPeer())
        }
    }

    @Test func chunkedBodyOverTheLimitIsRejected() async throws {
        try await withServer(maxBody: 10) { port in
            let client = try RawClient(port: port)
            client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n")
            #expect(client.readResponses(1).first?.hasPrefix("HTTP/1.1 413") == true)
        }
    }

    @Test func pathParametersAndQueryAreDecoded() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            client.send("GET /items/a%2Fb%20c?q=x+y%21 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(client.readResponses(1).first?.hasSuffix("item=a/b c q=x y!") == true)
        }
    }

    @Test func headHasNoBody() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            client.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let raw = client.readRaw { $0.components(separatedBy: "HTTP/1.1 200").count == 3 && $0.hasSuffix("hello") }
            #expect(raw.components(separatedBy: "content-length: 5").count == 3)
            #expect(raw.components(separatedBy: "hello").count == 2, "only the GET carries a body")
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        try await withServer(idle: .milliseconds(300)) { port in
            let client = try RawClient(port: port)
            let started = ContinuousClock.now
            #expect(client.isClosedByPeer())
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }

    @Test func garbageRequestGetsAnErrorNotACrash() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            client.send("THIS IS NOT HTTP\r\n\r\n")
            let responses = client.readResponses(1)
            #expect(responses.first?.hasPrefix("HTTP/1.1 400") == true)
            let again = try RawClient(port: port)
            again.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(again.readResponses(1).first?.hasSuffix("hello") == true)
        }
    }

    // MARK: Abuse: slow clients, oversize and malformed heads, connection handling

    @Test func slowRequestHeadGets408AndTheConnectionCloses() async throws {
        try await withServer(configure: { $0.requestHeadTimeout = .milliseconds(400) }) { port in
            let client = try RawClient(port: port)
            let started = ContinuousClock.now
            // A byte every 50 ms keeps an idle timer from ever firing; the head deadline still does.
            for byte in "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: abcd".utf8.prefix(16) {
                client.send(bytes: [byte])
                try await Task.sleep(for: .milliseconds(50))
            }
            let raw = client.readRaw { _ in false }
            #expect(raw.hasPrefix("HTTP/1.1 408 Request Timeout"))
            #expect(raw.contains("{\"detail\":\"the request head did not arrive within 400ms\",\"error\":\"request timeout\"}"))
            #expect(raw.lowercased().contains("connection: close"))
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(5))
        }
    }

    @Test func silentConnectionIsClosedAtTheHeadDeadline() async throws {
        try await withServer(idle: .seconds(60), configure: { $0.requestHeadTimeout = .milliseconds(300) }) { port in
            let client = try RawClient(port: port)
            let started = ContinuousClock.now
            #expect(client.isClosedByPeer(), "closed without a byte written: nothing was asked")
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test func keptAliveConnectionWaitsForItsNextRequestBeyondTheHeadDeadline() async throws {
        try await withServer(idle: .seconds(60), configure: { $0.requestHeadTimeout = .milliseconds(300) }) { port in
            let client = try RawClient(port: port)
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(client.readResponses(1).first?.hasSuffix("hello") == true)
            try await Task.sleep(for: .milliseconds(800))
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(client.readResponses(1).first?.hasSuffix("hello") == true, "an idle keep-alive connection is not a slow head")
            // The deadline starts again with the first byte of the next request.
            client.send("GET /hel")
            let raw = client.readRaw { _ in false }
            #expect(raw.hasPrefix("HTTP/1.1 408"))
        }
    }

    @Test func slowRequestBodyGets408() async throws {
        try await withServer(configure: { $0.requestBodyTimeout = .milliseconds(300) }) { port in
            let client = try RawClient(port: port)
            client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            let raw = client.readRaw { _ in false }
            #expect(raw.hasPrefix("HTTP/1.1 408"))
            #expect(raw.contains("the request body did not arrive within 300ms"))
        }
    }

    @Test func headersOverTheLimitGet431AndTheServerKeepsServing() async throws {
        try await withServer(configure: { $0.maxHeadBytes = 4096 }) { port in
            let client = try RawClient(port: port)
            client.send("GET /hello HTTP/1.1\r\nHost: x\r\nAccept: " + String(repeating: "a", count: 8000) + "\r\n\r\n")
            let raw = client.readRaw { _ in false }
            #expect(raw.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large"))
            #expect(raw.contains("{\"detail\":\"the request line and headers are limited to 4096 bytes and 100 header fields\",\"error\":\"request head too large\"}"))
            #expect(raw.lowercased().contains("connection: close"))

            let many = try RawClient(port: port)
            many.send("GET /hello HTTP/1.1\r\n" + (0..<300).map { "X-Header-\($0): value\r\n" }.joined() + "\r\n")
            #expect(many.readRaw { _ in false }.hasPrefix("HTTP/1.1 431"), "many small headers count together")

            // Under the byte limit, but more fields than any client sends: each costs parsing.
            let fields = try RawClient(port: port)
            fields.send("GET /hello HTTP/1.1\r\n" + String(repeating: "a:b\r\n", count: 101) + "\r\n")
            #expect(fields.readRaw { _ in false }.hasPrefix("HTTP/1.1 431"), "more than 100 header fields")
            let hundred = try RawClient(port: port)
            hundred.send("GET /hello HTTP/1.1\r\n" + String(repeating: "a:b\r\n", count: 100) + "\r\n")
            #expect(hundred.readResponses(1).first?.hasSuffix("hello") == true, "100 header fields are fine")

            let again = try RawClient(port: port)
            again.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(again.readResponses(1).first?.hasSuffix("hello") == true)
        }
    }

    @Test func requestLineOverTheLimitGets431() async throws {
        try await withServer(configure: { $0.maxHeadBytes = 4096 }) { port in
            let client = try RawClient(port: port)
            client.send("GET /hello?" + String(repeating: "q", count: 10000) + " HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(client.readRaw { _ in false }.hasPrefix("HTTP/1.1 431"))
        }
    }

    @Test func errorResponseAndACleanCloseReachAClientThatKeepsSending() async throws {
        // The server stops reading at the limit, answers and closes. Closing with unread input resets the
        // connection (and the client may lose the answer); the server half-closes and drains instead.
        try await withServer { port in
            let client = try RawClient(port: port)
            var head = Array("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ".utf8)
            head += [UInt8](repeating: UInt8(ascii: "b"), count: 600_000)
            client.send(bytes: head)
            let (raw, clean) = client.readToClose()
            #expect(raw.hasPrefix("HTTP/1.1 431"))
            #expect(raw.hasSuffix("\"error\":\"request head too large\"}\n"), "the whole body arrived")
            #expect(clean, "closed with a FIN, not a reset")
        }
    }

    @Test func requestBodyOverTheLimitIsAnsweredAndClosedCleanly() async throws {
        try await withServer(maxBody: 1000) { port in
            let client = try RawClient(port: port)
            client.send(bytes: Array("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n".utf8) + [UInt8](repeating: 1, count: 500_000))
            let (raw, clean) = client.readToClose()
            #expect(raw.hasPrefix("HTTP/1.1 413"))
            #expect(clean, "closed with a FIN, not a reset")
        }
    }

    @Test func malformedRequestsGetAJSON400() async throws {
        try await withServer { port in
            let requests = [
                "GET /hello HTTP/1.1\r\nHost x\r\n\r\n",
                "GET /hello HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                "GET /hello HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                "GET /hel lo HTTP/1.1\r\n\r\n",
                "GET /hello HTTP/7.5\r\n\r\n",
                "\u{01}\u{02}\u{03}\u{04}\r\n\r\n",
            ]
            for request in requests {
                let client = try RawClient(port: port)
                client.send(request)
                let raw = client.readRaw { _ in false }
                #expect(raw.hasPrefix("HTTP/1.1 400 Bad Request"), "\(request.debugDescription): \(raw.prefix(80))")
                #expect(raw.contains("\"error\":\"bad request\"}"), "\(request.debugDescription)")
                #expect(raw.lowercased().contains("connection: close"))
            }
        }
    }

    @Test func http10WithoutKeepAliveGetsAn10ResponseAndTheConnectionCloses() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            client.send("GET /hello HTTP/1.0\r\n\r\n")
            let raw = client.readRaw { _ in false }  // until the server closes
            #expect(raw.hasPrefix("HTTP/1.0 200 OK"))
            #expect(raw.hasSuffix("\r\n\r\nhello"))
            #expect(raw.lowercased().contains("connection: close"))

            let keptAlive = try RawClient(port: port)
            keptAlive.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let responses = keptAlive.readResponses(2)
            #expect(responses.count == 2)
            #expect(responses.allSatisfy { $0.hasPrefix("HTTP/1.0 200") && $0.hasSuffix("hello") })
        }
    }

    @Test func requestsPipelinedAfterAConnectionCloseAreNotAnswered() async throws {
        try await withServer { port in
            let client = try RawClient(port: port)
            client.send("GET /hello HTTP/1.1\r\nConnection: close\r\n\r\nGET /hello HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n")
            let raw = client.readRaw { _ in false }
            #expect(raw.components(separatedBy: "HTTP/1.1 200").count == 2, "\(raw)")
        }
    }

    @Test func fileDescriptorSoftLimitIsRaisedToTheHardLimit() throws {
        let start = try #require(FileDescriptorLimit.current())
        if start.soft == start.hard, start.hard > 64 {
            // Lower it a little first so that there is something to raise.
            var limit = rlimit(rlim_cur: rlim_t(start.hard - 1), rlim_max: rlim_t(start.hard))
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        let lowered = try #require(FileDescriptorLimit.current())
        let (before, after) = try #require(FileDescriptorLimit.raiseSoftLimitToHard())
        #expect(before == lowered)
        #expect(after.soft == after.hard)
        #expect(FileDescriptorLimit.current() == after)
    }
}

/// The length and an FNV-1a hash of a body.
private func digest(_ bytes: [UInt8]) -> String {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return "\(bytes.count):\(String(hash, radix: 16))"
}
