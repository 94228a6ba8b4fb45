import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.0 server on 127.0.0.1 for download tests: serves a dictionary path → response,
/// records the request paths, handles at most `maxConnections` connections within `lifetime`
/// seconds, then stops by itself.
final class LoopbackHTTPServer: @unchecked Sendable {
    enum Response: Sendable {
        /// 200 with the body.
        case ok([UInt8])
        /// 200 announcing the full body length but sending only `sentBytes`, then closing.
        case truncated([UInt8], sentBytes: Int)
        /// Reads the request, then sends nothing for `seconds` (a server that has stopped answering).
        case silent(seconds: Double)
    }

    enum ServerError: Error { case socket(String) }

    let port: UInt16
    private let listener: Int32
    private let routes: [String: Response]
    private let lock = NSLock()
    private var recorded: [String] = []
    private let stopped = DispatchSemaphore(value: 0)

    /// Paths requested so far, in order.
    var requests: [String] { lock.withLock { recorded } }

    /// Base URL for a path prefix, e.g. `baseURL("mnist")` → `http://127.0.0.1:PORT/mnist/`.
    func baseURL(_ prefix: String) -> URL { URL(string: "http://127.0.0.1:\(port)/\(prefix)/")! }

    /// Starts serving on an ephemeral loopback port; unknown paths get 404.
    init(routes: [String: Response], maxConnections: Int = 16, lifetime: TimeInterval = 30) throws {
        self.routes = routes
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError.socket("socket failed") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw ServerError.socket("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = fd
        let deadline = Date().addingTimeInterval(lifetime)
        let thread = Thread { [self] in
            var handled = 0
            while handled < maxConnections && Date() < deadline {
                var pollDescriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                guard poll(&pollDescriptor, 1, 100) > 0 else { continue }
                let client = accept(listener, nil, nil)
                guard client >= 0 else { continue }
                serve(client)
                close(client)
                handled += 1
            }
            close(listener)
            stopped.signal()
        }
        thread.start()
    }

    /// Waits until the server thread has ended (it ends by itself at its limits).
    func waitUntilStopped(timeout: TimeInterval = 35) { _ = stopped.wait(timeout: .now() + timeout) }

    private func serve(_ client: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while request.count < 16_384 {
            let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            request += chunk[0..<n]
            if request.count >= 4 && request.suffix(4) == [13, 10, 13, 10] { break }
        }
        let firstLine = String(decoding: request, as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = firstLine.split(separator: " ")
        let path = parts.count >= 2 ? String(parts[1]) : "/"
        lock.withLock { recorded.append(path) }
        switch routes[path] {
        case .ok(let body)?:
            send(client, header(status: "200 OK", length: body.count) + body)
        case .truncated(let body, let sentBytes)?:
            send(client, header(status: "200 OK", length: body.count) + body.prefix(sentBytes))
        case .silent(let seconds)?:
            usleep(UInt32(seconds * 1_000_000))
        case nil:
            let body = Array("not found\n".utf8)
            send(client, header(status: "404 Not Found", length: body.count) + body)
        }
    }

    private func header(status: String, length: Int) -> [UInt8] {
        Array("HTTP/1.0 \(status)\r\nContent-Type: application/octet-stream\r\nContent-Length: \(length)\r\nConnection: close\r\n\r\n".utf8)
    }

    private func send(_ client: Int32, _ bytes: [UInt8]) {
        var offset = 0
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Glibc.send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                guard n > 0 else { return }
                offset += n
            }
        }
    }
}

/// A loopback port with nothing listening on it (bound, read, released).
func unusedLoopbackPort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return UInt16(bigEndian: address.sin_port)
}
