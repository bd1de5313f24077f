import AMERuntime
import Foundation
import Hummingbird

/// Runs the HTTP server for an engine until the process is asked to stop (SIGTERM or SIGINT).
/// Used by `ame serve` and by services built on AME in other packages.
public enum AMEService {
    /// Serves `engine` on `host:port`. Without credentials configured (the development tenancy)
    /// it refuses non-loopback hosts. Prints `ame: serving GraphQL on http://HOST:PORT/graphql`
    /// once listening (port 0 picks a free one).
    public static func serve(
        engine: GraphQLEngine, host: String, port: Int, tenants: TenantResolver = TenantResolver(), banner: String = ""
    ) async throws {
        guard tenants.requiresCredentials || TenantResolver.isLoopback(host) else {
            throw ServeError(
                description:
                    "refusing to serve on \(host) without authentication: bind to 127.0.0.1, or configure API keys or JWT"
            )
        }
        let app = Application(
            router: AMEHTTPServer.router(engine: engine, tenants: tenants),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "ame"),
            onServerRunning: { channel in
                let address = "http://\(host):\(channel.localAddress?.port ?? port)/graphql"
                // The start line is how scripts and tests learn the port: written unbuffered, even into a pipe.
                FileHandle.standardOutput.write(Data("ame: serving GraphQL on \(address)\(banner)\n".utf8))
            }
        )
        try await app.runService()
    }

    public struct ServeError: Error, CustomStringConvertible {
        public var description: String
    }
}
