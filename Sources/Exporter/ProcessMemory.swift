#if canImport(Glibc)
    import Glibc
#endif

/// Hands the allocator's free pages back to the kernel.
enum ProcessMemory {
    #if canImport(Glibc)
        /// glibc's `malloc_trim`, looked up at run time: it is not in the Glibc module map.
        private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        }()
    #endif

    /// After a cycle freed the previous cycle's bodies and roll-ups, and a burst of probes (a thousand
    /// stalled connections, say) freed its buffers, glibc keeps those pages in its arenas: resident, though
    /// unused. Trimming returns them, so resident memory follows what is really in use. A few milliseconds
    /// on the aggregation thread.
    static func releaseFreePages() {
        #if canImport(Glibc)
            _ = mallocTrim?(0)
        #endif
    }
}
