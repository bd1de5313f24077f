import AMEFuzzTargets

/// One POST /graphql body through the server's request path (`FuzzTargets.request`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.keep(data, size)
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    let outcome = FuzzTargets.blocking { await FuzzTargets.request(body) }
    if let problem = outcome.problem { fatalError("fuzz-request: \(problem)") }
    return 0
}
