import AMEFuzzTargets

/// One DynamoDB answer's body through the store's GetItem, BatchGetItem and Query decoders
/// (`FuzzTargets.dynamoDBResponse`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDynamoDB(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.keep(data, size)
    let outcome = FuzzTargets.dynamoDBResponse(Array(UnsafeBufferPointer(start: data, count: size)))
    if let problem = outcome.problem { fatalError("fuzz-dynamodb: \(problem)") }
    return 0
}
