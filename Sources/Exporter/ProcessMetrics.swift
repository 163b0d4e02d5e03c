#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The standard process_* values, read from /proc (Linux). Missing files give nil, never a crash.
public struct ProcessMetrics: Sendable, Equatable {
    public var cpuSeconds: Double?
    public var residentMemoryBytes: Double?
    public var virtualMemoryBytes: Double?
    public var startTimeSeconds: Double?
    public var openFDs: Double?
    public var maxFDs: Double?

    public static func read() -> ProcessMetrics {
        var metrics = ProcessMetrics()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            // Fields after the command name; field 3 (state) is index 0 here.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 21, ticks > 0 {
                let user = Double(fields[11]) ?? 0
                let system = Double(fields[12]) ?? 0
                metrics.cpuSeconds = (user + system) / ticks
                metrics.virtualMemoryBytes = Double(fields[20])
                metrics.residentMemoryBytes = Double(fields[21]).map { $0 * pageSize }
                if let startTicks = Double(fields[19]), let boot = bootTime() {
                    metrics.startTimeSeconds = boot + startTicks / ticks
                }
            }
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            metrics.openFDs = Double(fds.count)
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            metrics.maxFDs = Double(limit.rlim_cur)
        }
        return metrics
    }

    private static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingWhitespace())
        }
        return nil
    }
}
