import Exposition
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One pre-rendered /metrics body and the headers the exporter sends with it (as its `PublishedSnapshot` does).
public struct MetricsVariant: Sendable {
    public var format: ExpositionFormat
    public var gzip: Bool
    public var body: ByteBuffer
    /// (name, value) in the exporter's order: content-type, vary, [content-encoding], content-length.
    public var headers: [(String, String)]
}

/// The four bodies of one exporter snapshot, read from `text`, `text.gz`, `openmetrics` and `openmetrics.gz` in a
/// directory (the bench fetches them from a running exporter), indexed as the exporter indexes them.
public struct MetricsVariants: Sendable {
    public let all: [MetricsVariant]

    public init(directory: String) throws {
        all = try [(ExpositionFormat.text, false), (.text, true), (.openMetrics, false), (.openMetrics, true)].map {
            format, gzip in
            let name = (format == .text ? "text" : "openmetrics") + (gzip ? ".gz" : "")
            let body = try readFile(directory + "/" + name)
            var headers = [("content-type", format.contentType), ("vary", "Accept, Accept-Encoding")]
            if gzip { headers.append(("content-encoding", "gzip")) }
            headers.append(("content-length", String(body.readableBytes)))
            return MetricsVariant(format: format, gzip: gzip, body: body, headers: headers)
        }
    }

    public static func index(format: ExpositionFormat, gzip: Bool) -> Int {
        (format == .openMetrics ? 2 : 0) + (gzip ? 1 : 0)
    }
}

public struct UnreadableFile: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "cannot read \(path)" }
}

private func readFile(_ path: String) throws -> ByteBuffer {
    guard let file = fopen(path, "rb") else { throw UnreadableFile(path: path) }
    defer { fclose(file) }
    var buffer = ByteBuffer()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count == 0 { break }
        buffer.writeBytes(chunk[..<count])
    }
    return buffer
}

/// `--port N --bodies DIR` from the command line.
public struct BenchArguments: Sendable {
    public var port: Int
    public var bodies: String

    public static func parse(_ arguments: [String] = CommandLine.arguments) -> BenchArguments {
        var port = 0
        var bodies = "."
        var rest = arguments.dropFirst()[...]
        while let name = rest.popFirst() {
            switch name {
            case "--port": port = rest.popFirst().flatMap { Int($0) } ?? 0
            case "--bodies": bodies = rest.popFirst() ?? "."
            default:
                print("usage: \(arguments[0]) --port N --bodies DIR")
                exit(2)
            }
        }
        return BenchArguments(port: port, bodies: bodies)
    }
}
