import AMERuntime
import Foundation
import Logging

extension AMEApplication {
    /// Serves Lambda invocations through the Runtime API at `AWS_LAMBDA_RUNTIME_API` with the
    /// same engine and router as ``serve(registry:configuration:tables:banner:)``, until the
    /// Runtime API fails. Bootstraps logging and metrics for the process first, so call it once.
    ///
    /// A failed start is reported to the Runtime API's `init/error` (`AME.InitError`, with the
    /// message a host prints) and thrown as ``AMEStartError``; a failure of the Runtime API
    /// afterwards is logged and thrown as it is.
    public static func runLambda(registry: SchemaRegistry, configuration: AMEConfiguration) async throws {
        guard let runtimeAPI = configuration.lambdaRuntimeAPI else {
            throw AMEStartError.refused(
                "AWS_LAMBDA_RUNTIME_API is not set: a Lambda host runs inside AWS Lambda (or its emulator)")
        }
        let runtime: LambdaRuntimeClient
        do {
            runtime = try LambdaRuntimeClient(
                runtimeAPI: runtimeAPI, maxEventBytes: configuration.lambda.maxEventBytes)
        } catch {
            throw AMEStartError.refused(error.message)
        }
        let logger = Logger(label: "ame.lambda")
        let handler: AMELambda.Handler
        do {
            // Invalid settings are reported to init/error too, so they are checked here, not by the caller.
            let configuration = try configuration.validated()
            try check(configuration, for: .serveLambda)
            let metrics = Observability.bootstrap(level: configuration.logLevel)
            let application = try await build(
                registry: registry, configuration: configuration, purpose: .serveLambda, metrics: metrics)
            handler = AMELambda.Handler(
                engine: application.engine, tenants: application.tenants, limits: configuration.serverLimits,
                metrics: metrics, options: configuration.lambda)
        } catch {
            let failure: AMEStartError =
                switch error {
                case let error as AMEStartError: error
                case let error as LambdaFunctionError: .refused(error.message)
                default: .refused("\(error)")
                }
            _ = try? await runtime.initFailed(LambdaFunctionError(type: "AME.InitError", message: failure.description))
            await runtime.shutdown()
            throw failure
        }
        // The start line tells scripts and tests that initialization is over.
        FileHandle.standardOutput.write(
            Data("ame: serving Lambda invocations from \(runtimeAPI) (store: dynamodb)\n".utf8))
        do {
            try await AMELambda.run(handler: handler, runtime: runtime, logger: logger)
        } catch {
            logger.critical("the Runtime API failed", metadata: ["error": "\(error)"])
            await runtime.shutdown()
            throw error
        }
    }
}
