import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// How long a client may take over the parts of a connection (`AME_HEADER_TIMEOUT`,
/// `AME_BODY_TIMEOUT`, `AME_IDLE_TIMEOUT`). Without them a client that opens connections and
/// sends nothing, or a byte now and then, holds a descriptor each until the process runs out.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// From the connection's start to the end of its first request's headers.
    public var header: Duration
    /// From a request's headers to the end of its body.
    public var body: Duration
    /// From a response's end to the next request's headers, on a kept-alive connection.
    public var idle: Duration

    public init(header: Duration = .seconds(10), body: Duration = .seconds(30), idle: Duration = .seconds(60)) {
        self.header = header
        self.body = body
        self.idle = idle
    }
}

/// Closes a connection whose client does not send a request's headers or body in time, or
/// leaves it idle too long. It sits after HTTP decoding, so it sees requests as parts: the clock
/// runs while the server waits for the client, and stops while a request is being answered
/// (the request timeout bounds that).
final class SlowClientHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let timeouts: ConnectionTimeouts
    private var deadline: Scheduled<Void>?
    /// A request's head has arrived and its end has not.
    private var readingRequest = false
    /// Requests read and not answered yet.
    private var unanswered = 0

    init(timeouts: ConnectionTimeouts) {
        self.timeouts = timeouts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(timeouts.header, context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(timeouts.header, context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            readingRequest = true
            unanswered += 1
            arm(timeouts.body, context: context)
        case .body:
            break
        case .end:
            readingRequest = false
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(unanswered - 1, 0)
            if unanswered == 0, !readingRequest { arm(timeouts.idle, context: context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ timeout: Duration, context: ChannelHandlerContext) {
        disarm()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            loopBound.value.close(promise: nil)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}

extension AMEHTTPServer {
    /// The channel handlers `ame serve` adds to every HTTP/1 connection: the slow-client timeouts.
    public static func connectionHandlers(_ limits: ServerLimits) -> [any RemovableChannelHandler] {
        [SlowClientHandler(timeouts: limits.connections)]
    }
}
