import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Connections an attacker holds open, byte by byte, against a real `ame serve`: each one is
/// closed by its timeout, the descriptors come back, and SIGTERM still stops the process.
@Suite(.serialized) struct SlowConnectionTests {
    /// Short connection timeouts, so that the test waits seconds, not minutes.
    static let timeouts = ["AME_HEADER_TIMEOUT": "1", "AME_BODY_TIMEOUT": "1", "AME_IDLE_TIMEOUT": "1"]

    @Test func slowHeadersHalfSentBodiesAndIdleConnectionsAreClosed() async throws {
        _ = try await ServeProcessTests.withFreshServer(environment: Self.timeouts) { _, port in

            let slowHeaders = try RawConnection(port: port)
            slowHeaders.send("POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endpoint-Id: acme\r\n")
            let halfBody = try RawConnection(port: port)
            halfBody.send(
                "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endpoint-Id: acme\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"query\":")
            let silent = try RawConnection(port: port)
            let idle = try RawConnection(port: port)
            idle.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")

            // Each is closed by the server; the idle one after its answer, which it got in full.
            #expect(slowHeaders.readUntilClosed().closed)
            #expect(halfBody.readUntilClosed().closed)
            #expect(silent.readUntilClosed().closed)
            let answered = idle.readUntilClosed()
            #expect(answered.closed)
            #expect(String(decoding: answered.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            #expect(try await HostileInputTests.healthy(port))
        }
    }

    @Test func aMalformedChunkedBodyIsABadRequest() async throws {
        _ = try await ServeProcessTests.withFreshServer { _, port in
            for body in ["zz\r\n{\"query\":\"{ ping }\"}\r\n0\r\n\r\n", "5\r\n{\"query\":\"{ ping }\"}\r\n0\r\n\r\n"] {
                let connection = try RawConnection(port: port)
                connection.send(
                    "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endpoint-Id: acme\r\n"
                        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                        + body
                )
                let answer = String(decoding: connection.readUntilClosed().bytes, as: UTF8.self)
                #expect(answer.hasPrefix("HTTP/1.1 400"), "\(body.debugDescription): \(answer.prefix(200))")
            }
            #expect(try await HostileInputTests.healthy(port))
        }
    }

    @Test func aHundredHeldConnectionsGiveTheirDescriptorsBack() async throws {
        _ = try await ServeProcessTests.withFreshServer(environment: Self.timeouts) { server, port in
            #expect(try await HostileInputTests.healthy(port))
            let before = Self.openDescriptors(server.processIdentifier)
            let held = try (0..<100).map { index in
                let connection = try RawConnection(port: port)
                if index.isMultiple(of: 2) { connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n") }
                return connection
            }
            #expect(held.allSatisfy { $0.readUntilClosed().closed })
            // The server's side of each connection is closed too: its descriptor count is back.
            var after = Self.openDescriptors(server.processIdentifier)
            for _ in 0..<100 where after > before {
                try await Task.sleep(for: .milliseconds(50))
                after = Self.openDescriptors(server.processIdentifier)
            }
            #expect(before > 0)
            #expect(after <= before, "descriptors: \(before) before, \(after) after 100 held connections")
            #expect(try await HostileInputTests.healthy(port))
        }
    }

    @Test func sigtermStopsTheServerWhileHostileClientsHoldConnections() async throws {
        // The connection timeouts are the defaults (10 and 30 s). The request still being received
        // gets AME_SHUTDOWN_TIMEOUT to finish, then its work is cancelled and the process exits.
        _ = try await ServeProcessTests.withFreshServer(environment: ["AME_SHUTDOWN_TIMEOUT": "2"]) { server, port in
            let list = String(repeating: "[", count: 100) + "\"a\"" + String(repeating: "]", count: 100)
            let hostile = String(
                decoding: HostileInputTests.query("{ contactProfileList(email: \(list)) { total } }"), as: UTF8.self)
            // Two hostile queries sent whole, then two held half-sent: one mid-headers, one mid-body.
            let sent = try (0..<2).map { _ in
                let connection = try RawConnection(port: port)
                connection.send(
                    "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endpoint-Id: acme\r\nContent-Type: application/json\r\n"
                        + "Content-Length: \(hostile.utf8.count)\r\n\r\n\(hostile)")
                return connection
            }
            let midHeaders = try RawConnection(port: port)
            midHeaders.send("POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            let midBody = try RawConnection(port: port)
            midBody.send(
                "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endpoint-Id: acme\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(hostile.utf8.count)\r\n\r\n\(hostile.prefix(40))")
            for connection in sent {
                let answer = String(decoding: connection.readResponseHead(), as: UTF8.self)
                #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
            }
            #expect(try await HostileInputTests.healthy(port))

            kill(server.processIdentifier, SIGTERM)
            // A bound on the wait, so that a server that never stops fails the test instead of hanging it.
            let deadline = Date().addingTimeInterval(60)
            while server.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!server.isRunning, "ame serve was still running 60 s after SIGTERM")
            if !server.isRunning { #expect(server.terminationStatus == 0) }
            #expect(midHeaders.readUntilClosed().closed)
            #expect(midBody.readUntilClosed().closed)
        }
    }

    /// How many descriptors process `pid` has open (`/proc/<pid>/fd`).
    static func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }
}

/// A TCP connection to 127.0.0.1 that sends exactly the bytes it is given, for requests no HTTP
/// client would send.
final class RawConnection {
    let descriptor: Int32

    /// Connects to 127.0.0.1:`port`; a receive waits at most `receiveTimeout` seconds.
    init(port: Int, receiveTimeout: Int = 30) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Failure(description: "connect() to port \(port) failed")
        }
        var timeout = timeval(tv_sec: receiveTimeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// Reads until the server closes the connection (`closed`), or a receive times out or fails
    /// with the connection still open.
    func readUntilClosed() -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return (received, true) }
            if count < 0 { return (received, errno == ECONNRESET) }
            received += buffer[0..<count]
        }
    }

    /// Reads until the end of a response's headers (or the connection's end).
    func readResponseHead() -> [UInt8] {
        var received: [UInt8] = []
        var byte: UInt8 = 0
        while !received.ends(with: Array("\r\n\r\n".utf8)) {
            guard recv(descriptor, &byte, 1, 0) == 1 else { break }
            received.append(byte)
        }
        return received
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
