// libFuzzer entry point for one FuzzTarget, chosen at compile time with -D FUZZ_CONFIG, -D FUZZ_OUTCOMES,
// -D FUZZ_RATELIMIT or -D FUZZ_GATEWAYS. Built by scripts/fuzz.sh; not part of the package build.
import FuzzHarness

#if FUZZ_CONFIG
let target = FuzzTarget.config
#elseif FUZZ_OUTCOMES
let target = FuzzTarget.outcomes
#elseif FUZZ_RATELIMIT
let target = FuzzTarget.ratelimit
#elseif FUZZ_GATEWAYS
let target = FuzzTarget.gateways
#else
#error("compile with -D FUZZ_CONFIG, -D FUZZ_OUTCOMES, -D FUZZ_RATELIMIT or -D FUZZ_GATEWAYS")
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = size > 0 ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    let problems = target.check(input)
    if !problems.isEmpty {
        fatalError("\(target.rawValue): broken invariant:\n" + problems.joined(separator: "\n"))
    }
    return 0
}
