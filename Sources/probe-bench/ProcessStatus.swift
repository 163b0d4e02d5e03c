#if canImport(Glibc)
    import Glibc
#endif

/// Resident memory of this process from /proc/self/status, in MiB: now (`VmRSS`) and at its peak (`VmHWM`).
func residentMemoryMiB() -> (current: Double, peak: Double) {
    guard let file = fopen("/proc/self/status", "r") else { return (0, 0) }
    defer { fclose(file) }
    var current = 0.0
    var peak = 0.0
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let kibibytes = text.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        if text.hasPrefix("VmRSS:") { current = kibibytes / 1024 }
        if text.hasPrefix("VmHWM:") { peak = kibibytes / 1024 }
    }
    return (current, peak)
}
