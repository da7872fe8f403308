import CCurl
import NIOPosix

/// One HTTP request to an upstream API (LNbits, DigitalOcean, Tailscale).
struct HTTPRequest: Sendable {
    var method: String
    var url: String
    var headers: [(String, String)] = []
    var body: [UInt8]? = nil
    /// The whole exchange, connect included.
    var timeoutMilliseconds: Int = 15_000
}

/// What came back. Header names are lower-cased; a repeated header keeps its last value.
struct HTTPResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// The request never got an HTTP answer: no connection, a timeout, a TLS failure.
struct HTTPTransportError: Error, CustomStringConvertible {
    var code: Int
    var message: String
    var isTimeout: Bool { code == Int(CURLE_OPERATION_TIMEDOUT.rawValue) }

    var description: String { "HTTP transport error \(code): \(message)" }
}

/// A small HTTP client over libcurl. Each request runs on its own easy handle on
/// the daemon's blocking-I/O thread pool, so no event loop or concurrency thread
/// ever waits on the network.
///
/// - Important: request headers may carry API keys; nothing here logs a request,
///   and errors describe the transport only, never the headers or the URL's query.
struct HTTPClient: Sendable {
    let threadPool: NIOThreadPool
    /// The largest body accepted; a bigger answer is an error, not a memory spike.
    var maximumResponseBytes = 8 << 20
    /// Counts each attempt by API and status class (`METRICS_LISTEN`); nil counts nothing.
    var meter: UpstreamMeter? = nil

    /// Call once per process before any request (libcurl is not thread-safe before it).
    static func initializeLibrary() {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let limit = maximumResponseBytes
        do {
            let response = try await threadPool.runIfActive { try Self.perform(request, maximumResponseBytes: limit) }
            meter?.attempted(status: response.status)
            return response
        } catch {
            meter?.attemptFailed()
            throw error
        }
    }

    private static func perform(_ request: HTTPRequest, maximumResponseBytes: Int) throws -> HTTPResponse {
        guard let handle = curl_easy_init() else { throw HTTPTransportError(code: -1, message: "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        let sink = ResponseSink(limit: maximumResponseBytes)
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()

        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // An empty Expect stops curl from waiting a second for "100 Continue" on POSTs.
        headerList = curl_slist_append(headerList, "Expect:")

        var status = CURLE_OK
        func set(_ code: CURLcode) { if status == CURLE_OK { status = code } }
        set(ccurl_setopt_string(handle, CURLOPT_URL, request.url))
        set(ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, request.timeoutMilliseconds))
        set(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(request.timeoutMilliseconds, 10_000)))
        set(ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method))
        set(ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
        set(ccurl_setopt_write_callback(handle, { data, size, count, context in
            Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue().appendBody(data, size * count)
        }))
        set(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer))
        set(ccurl_setopt_header_callback(handle, { data, size, count, context in
            Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue().appendHeader(data, size * count)
        }))
        set(ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, sinkPointer))
        if request.method == "HEAD" { set(ccurl_setopt_long(handle, CURLOPT_NOBODY, 1)) }

        let body = request.body ?? []
        let result: CURLcode = body.withUnsafeBytes { bytes in
            if request.body != nil {
                set(ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, bytes.count))
                set(ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)))
            }
            guard status == CURLE_OK else { return status }
            return curl_easy_perform(handle)
        }
        guard result == CURLE_OK else {
            if sink.overflowed {
                throw HTTPTransportError(code: Int(result.rawValue), message: "response larger than \(maximumResponseBytes) bytes")
            }
            throw HTTPTransportError(code: Int(result.rawValue), message: String(cString: curl_easy_strerror(result)))
        }
        var code = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return HTTPResponse(status: code, headers: sink.headers, body: sink.body)
    }
}

/// Collects one response; touched only by the thread running that request.
private final class ResponseSink {
    let limit: Int
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var overflowed = false

    init(limit: Int) { self.limit = limit }

    func appendBody(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data else { return 0 }
        guard body.count + count <= limit else {
            overflowed = true
            return 0  // tells curl to stop
        }
        data.withMemoryRebound(to: UInt8.self, capacity: count) { body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count)) }
        return count
    }

    func appendHeader(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data else { return 0 }
        let line = data.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
        if line.hasPrefix("HTTP/") {
            headers = [:]  // a new response (after a redirect or 100 Continue) starts over
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingWhitespace()
            headers[name] = String(value.hasSuffix("\n") ? value.dropLast() : value).trimmingCharacters(in: "\r\n")
        }
        return count
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> String {
        var result = Substring(self)
        while let last = result.last, set.contains(last) { result.removeLast() }
        return String(result)
    }
}
