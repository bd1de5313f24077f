import NIOCore

/// A Redis reply (RESP2).
public enum RESPValue: Sendable, Equatable {
    case simple(String)
    case error(String)
    case integer(Int)
    /// A bulk string; `nil` is Redis's null.
    case bulk([UInt8]?)
    /// An array; `nil` is Redis's null array.
    case array([RESPValue]?)

    var text: String? {
        switch self {
        case .simple(let text): text
        case .bulk(let bytes?): String(decoding: bytes, as: UTF8.self)
        case .integer(let number): String(number)
        default: nil
        }
    }
}

/// Encodes commands as RESP arrays of bulk strings.
enum RESPEncoder {
    static func encode(_ arguments: [[UInt8]], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            buffer.writeString("$\(argument.count)\r\n")
            buffer.writeBytes(argument)
            buffer.writeString("\r\n")
        }
    }
}

/// Decodes RESP2 replies from a byte stream; waits for more bytes when a reply is incomplete.
package struct RESPDecoder: ByteToMessageDecoder {
    package typealias InboundOut = RESPValue

    struct ProtocolError: Error, CustomStringConvertible {
        var description: String { "Redis sent a reply that is not RESP" }
    }

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var view = buffer
        guard let value = try Self.parse(&view, depth: 0) else { return .needMoreData }
        buffer = view
        context.fireChannelRead(wrapInboundOut(value))
        return .continue
    }

    package mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws
        -> DecodingState
    {
        try decode(context: context, buffer: &buffer)
    }

    /// One reply from the front of `buffer`, or `nil` when it is not complete yet.
    package static func parse(_ buffer: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard depth < 8 else { throw ProtocolError() }
        guard let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        var rest = buffer
        rest.moveReaderIndex(forwardBy: 1)
        guard let line = readLine(&rest) else { return nil }
        let value: RESPValue
        switch type {
        case UInt8(ascii: "+"): value = .simple(line)
        case UInt8(ascii: "-"): value = .error(line)
        case UInt8(ascii: ":"):
            guard let number = Int(line) else { throw ProtocolError() }
            value = .integer(number)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1 else { throw ProtocolError() }
            if length == -1 {
                value = .bulk(nil)
            } else {
                guard rest.readableBytes >= length + 2, let bytes = rest.readBytes(length: length) else { return nil }
                rest.moveReaderIndex(forwardBy: 2)
                value = .bulk(bytes)
            }
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1 else { throw ProtocolError() }
            if count == -1 {
                value = .array(nil)
            } else {
                var elements: [RESPValue] = []
                elements.reserveCapacity(count)
                for _ in 0..<count {
                    guard let element = try parse(&rest, depth: depth + 1) else { return nil }
                    elements.append(element)
                }
                value = .array(elements)
            }
        default: throw ProtocolError()
        }
        buffer = rest
        return value
    }

    private static func readLine(_ buffer: inout ByteBuffer) -> String? {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\r")),
            buffer.getInteger(at: end + 1, as: UInt8.self) == UInt8(ascii: "\n")
        else { return nil }
        let line = buffer.readString(length: end - buffer.readerIndex)
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }
}

/// One command on its way to Redis, with the promise of its reply.
struct RESPCommand {
    var arguments: [[UInt8]]
    var promise: EventLoopPromise<RESPValue>
}

/// Matches replies to commands in order (so commands pipeline on one connection), and hands
/// pub/sub messages to `onMessage`.
final class RESPHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RESPCommand
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private let onMessage: (@Sendable (_ channel: String, _ payload: [UInt8]) -> Void)?

    init(onMessage: (@Sendable (String, [UInt8]) -> Void)? = nil) {
        self.onMessage = onMessage
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        // A command written after the connection closed would wait out its timeout for a reply
        // that cannot come (`channelInactive` has already failed the ones waiting): fail it now.
        guard context.channel.isActive else {
            command.promise.fail(RedisError.connectionClosed)
            promise?.fail(RedisError.connectionClosed)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        RESPEncoder.encode(command.arguments, into: &buffer)
        waiting.append(command.promise)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        if let onMessage, case .array(let parts?) = value, parts.count == 3, parts[0].text == "message",
            let channel = parts[1].text, case .bulk(let payload?) = parts[2]
        {
            onMessage(channel, payload)
            return
        }
        guard let promise = waiting.popFirst() else { return }
        promise.succeed(value)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}

/// Why a Redis command failed.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    case connectionClosed
    case timeout
    /// Redis answered with an error reply.
    case reply(String)
    case invalidURL(String)
    /// The circuit breaker is open: Redis is not being called for now.
    case unavailable

    public var description: String {
        switch self {
        case .connectionClosed: "the connection to Redis closed"
        case .timeout: "Redis did not answer in time"
        case .reply(let message): "Redis: \(message)"
        case .invalidURL(let url):
            "AME_REDIS_URL `\(url)` is not a Redis URL (use redis://[:password@]host[:port][/database])"
        case .unavailable: "Redis is unavailable (circuit open)"
        }
    }
}
