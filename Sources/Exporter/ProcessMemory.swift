#if canImport(Glibc)
    import Glibc
#endif

/// How the process asks glibc's allocator to give memory back to the kernel.
public enum ProcessMemory {
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

    /// Each cycle renders /metrics bodies of several MB and frees the previous ones. glibc raises its mmap
    /// threshold after such frees, so later bodies land in the heap and their pages stay resident; a fixed
    /// threshold keeps large buffers mmapped and returns them on free (docs/performance.md, "Memory"). Call it
    /// once, at start.
    public static func keepLargeBuffersMapped() {
        #if canImport(Glibc)
            // mallopt is not in the Glibc module map either; M_MMAP_THRESHOLD is -3 in malloc.h.
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
                let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
                _ = mallopt(-3, 128 * 1024)
            }
        #endif
    }
}
