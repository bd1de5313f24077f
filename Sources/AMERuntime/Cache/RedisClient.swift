import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Where and how to reach Redis: `redis://[[user]:password@]host[:port][/database]`.
public struct RedisConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    /// How long a connection attempt may take.
    public var connectTimeout: Duration
    /// How long a command may wait for its reply; past it the connection is closed.
    public var commandTimeout: Duration
    /// Connections kept open for commands (commands on one connection are pipelined).
    public var connections: Int

    public init(
        url: String, connectTimeout: Duration = .milliseconds(250), commandTimeout: Duration = .milliseconds(100),
        connections: Int = 4
    ) throws(RedisError) {
        guard let components = URLComponents(string: url), components.scheme == "redis",
            let host = components.host, !host.isEmpty
        else { throw RedisError.invalidURL(url) }
        self.host = host
        port = components.port ?? 6379
        username = components.user.flatMap { $0.isEmpty ? nil : $0 }
        password = components.password?.removingPercentEncoding
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard let database = path.isEmpty ? 0 : Int(path), database >= 0 else { throw RedisError.invalidURL(url) }
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.connections = max(1, connections)
    }

    /// The URL with its password hidden, for logs and `--print-config`.
    public var redacted: String {
        let credentials = password == nil ? "" : "\(username ?? ""):***@"
        return "redis://\(credentials)\(host):\(port)/\(database)"
    }
}

/// A Redis client on SwiftNIO: a few pooled connections, opened on demand and again after they
/// close; commands sent together are pipelined; every command has a timeout.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let group: any EventLoopGroup
    private let connections: Mutex<[Channel?]>
    private let next = Atomic<Int>(0)

    public init(configuration: RedisConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
        connections = Mutex(Array(repeating: nil, count: configuration.connections))
    }

    /// Sends one command and returns its reply (an error reply throws).
    @discardableResult
    public func send(_ arguments: [String]) async throws -> RESPValue {
        try await pipeline([arguments.map { Array($0.utf8) }])[0]
    }

    /// Sends commands in one write and returns their replies in order. Error replies come back
    /// as `.error` values; a closed connection or a timeout throws.
    public func pipeline(_ commands: [[[UInt8]]]) async throws -> [RESPValue] {
        let slot = next.wrappingAdd(1, ordering: .relaxed).oldValue % configuration.connections
        let channel = try await connection(slot)
        let promises = commands.map { _ in channel.eventLoop.makePromise(of: RESPValue.self) }
        let timeout = channel.eventLoop.scheduleTask(in: TimeAmount(configuration.commandTimeout)) {
            // The replies are out of step now: the connection is closed and opened again on next use.
            for promise in promises { promise.fail(RedisError.timeout) }
            channel.close(promise: nil)
        }
        for (command, promise) in zip(commands, promises) {
            channel.write(RESPCommand(arguments: command, promise: promise), promise: nil)
        }
        channel.flush()
        defer { timeout.cancel() }
        var replies: [RESPValue] = []
        for promise in promises { replies.append(try await promise.futureResult.get()) }
        return replies
    }

    private func connection(_ slot: Int) async throws -> Channel {
        if let channel = connections.withLock({ $0[slot] }), channel.isActive { return channel }
        let channel = try await connect(onMessage: nil)
        let winner = connections.withLock { connections -> Channel in
            if let current = connections[slot], current.isActive { return current }
            connections[slot] = channel
            return channel
        }
        if winner !== channel { try? await channel.close() }
        return winner
    }

    /// Opens a connection, authenticates and selects the database.
    func connect(onMessage: (@Sendable (String, [UInt8]) -> Void)?) async throws -> Channel {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder()))
                    try channel.pipeline.syncOperations.addHandler(RESPHandler(onMessage: onMessage))
                }
            }
            .connect(host: configuration.host, port: configuration.port).get()
        do {
            var setup: [[String]] = []
            if let password = configuration.password {
                setup.append(["AUTH"] + (configuration.username.map { [$0] } ?? []) + [password])
            }
            if configuration.database != 0 { setup.append(["SELECT", String(configuration.database)]) }
            for command in setup {
                let promise = channel.eventLoop.makePromise(of: RESPValue.self)
                try await channel.writeAndFlush(
                    RESPCommand(arguments: command.map { Array($0.utf8) }, promise: promise)
                )
                .get()
                let timeout = channel.eventLoop.scheduleTask(in: TimeAmount(configuration.connectTimeout)) {
                    promise.fail(RedisError.timeout)
                }
                defer { timeout.cancel() }
                if case .error(let message) = try await promise.futureResult.get() { throw RedisError.reply(message) }
            }
        } catch {
            try? await channel.close()
            throw error
        }
        return channel
    }

    /// Subscribes to `channel` on a connection of its own. Returns once the subscription is
    /// confirmed, with the connection (closing it ends the subscription).
    func subscribe(
        _ channelName: String, onMessage: @escaping @Sendable (String, [UInt8]) -> Void
    ) async throws
        -> Channel
    {
        let channel = try await connect(onMessage: onMessage)
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        let timeout = channel.eventLoop.scheduleTask(in: TimeAmount(configuration.connectTimeout)) {
            promise.fail(RedisError.timeout)
        }
        defer { timeout.cancel() }
        do {
            try await channel.writeAndFlush(
                RESPCommand(arguments: [Array("SUBSCRIBE".utf8), Array(channelName.utf8)], promise: promise)
            ).get()
            _ = try await promise.futureResult.get()
        } catch {
            try? await channel.close()
            throw error
        }
        return channel
    }

    /// Closes every connection.
    public func close() async {
        let open = connections.withLock { connections -> [Channel] in
            defer { connections = Array(repeating: nil, count: connections.count) }
            return connections.compactMap { $0 }
        }
        for channel in open { try? await channel.close() }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
