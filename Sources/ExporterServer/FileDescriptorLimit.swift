#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's limit on open files (`RLIMIT_NOFILE`).
public struct FileDescriptorLimit: Sendable, Equatable {
    public var soft: UInt64
    public var hard: UInt64

    /// The limit now in force; nil when it cannot be read.
    public static func current() -> FileDescriptorLimit? {
        var limit = rlimit()
        guard getrlimit(noFileResource, &limit) == 0 else { return nil }
        return FileDescriptorLimit(soft: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max))
    }

    /// Raises the soft limit to the hard limit, as Go programs do at start: every connection holds a descriptor,
    /// and the usual soft limit of 1024 is soon reached by a few hundred idle clients. Returns the limit before
    /// and after (equal when nothing changed or the system refused).
    @discardableResult
    public static func raiseSoftLimitToHard() -> (before: FileDescriptorLimit, after: FileDescriptorLimit)? {
        guard let before = current() else { return nil }
        guard before.soft < before.hard else { return (before, before) }
        var targets = [before.hard]
        #if canImport(Darwin)
            // macOS refuses a soft limit above OPEN_MAX however high the hard limit is.
            targets.append(min(before.hard, 10240))
        #endif
        for target in targets where target > before.soft {
            var limit = rlimit(rlim_cur: rlim_t(target), rlim_max: rlim_t(before.hard))
            if setrlimit(noFileResource, &limit) == 0 { break }
        }
        return (before, current() ?? before)
    }

    #if canImport(Glibc)
        private static let noFileResource = Int32(RLIMIT_NOFILE.rawValue)
    #else
        private static let noFileResource = RLIMIT_NOFILE
    #endif
}
