import AMEFuzzTargets

/// Schema files (NUL-separated, each its name on the first line) through the YAML schema loader
/// and validator (`FuzzTargets.schema`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSchema(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.keep(data, size)
    let outcome = FuzzTargets.schema(Array(UnsafeBufferPointer(start: data, count: size)))
    if let problem = outcome.problem { fatalError("fuzz-schema: \(problem)") }
    return 0
}
