import AMERuntime
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Prometheus
import ServiceLifecycle

/// Runs the HTTP server for an engine until the process is asked to stop (SIGTERM or SIGINT).
/// Used by ``AMEApplication/serve(banner:)``, which every host (`ame serve`, a package built on AME) runs.
public enum AMEService {
    /// Serves `engine` on `host:port`. Without credentials configured (the development tenancy)
    /// it refuses non-loopback hosts. Prints `ame: serving GraphQL on http://HOST:PORT/graphql`
    /// once listening (port 0 picks a free one).
    public static func serve(
        engine: GraphQLEngine, host: String, port: Int, tenants: TenantResolver = TenantResolver(), banner: String = "",
        limits: ServerLimits = ServerLimits(), metrics: PrometheusCollectorRegistry? = nil, cors: CORSPolicy? = nil,
        shutdownTimeout: Duration = .seconds(10), logger: Logger = Logger(label: "ame")
    ) async throws {
        guard tenants.requiresCredentials || TenantResolver.isLoopback(host) else {
            throw ServeError(
                description:
                    "refusing to serve on \(host) without authentication: bind to 127.0.0.1, or configure API keys or JWT"
            )
        }
        let app = Application(
            router: AMEHTTPServer.router(
                engine: engine, tenants: tenants, limits: limits, metrics: metrics, cors: cors),
            server: .http1(
                configuration: HTTP1Channel.Configuration(
                    additionalChannelHandlers: AMEHTTPServer.connectionHandlers(limits))),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "ame"),
            onServerRunning: { channel in
                let address = "http://\(host):\(channel.localAddress?.port ?? port)/graphql"
                // The start line is how scripts and tests learn the port: written unbuffered, even into a pipe.
                FileHandle.standardOutput.write(Data("ame: serving GraphQL on \(address)\(banner)\n".utf8))
            },
            logger: logger
        )
        // SIGTERM or SIGINT: stop accepting, let in-flight requests finish within the bound, then
        // close the cache and the store.
        var configuration = ServiceGroupConfiguration(
            services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = shutdownTimeout
        configuration.maximumCancellationDuration = .seconds(2)
        var failure: (any Error)?
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            failure = error
        }
        await engine.cache?.shutdown()
        await engine.rateLimiter?.shutdown()
        await engine.recentWrites.shutdown()
        await engine.store.close()
        logger.notice("stopped")
        if let failure { throw failure }
    }

    public struct ServeError: Error, CustomStringConvertible {
        public var description: String
    }
}
