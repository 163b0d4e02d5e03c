import Foundation
import HealthCore
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends probe requests over URLSession with a hard deadline.
///
/// URLSession's own timeouts are idle timeouts: a server sending one byte per second keeps a request alive
/// far beyond them. So each request races a timer, and the loser is cancelled without waiting for
/// URLSession to report back.
///
/// Known limit: FoundationNetworking on Linux traps (swift-corelibs-foundation issue 5285) when a server
/// closes the connection after sending a status line but before the end of the headers; the deadline
/// usually cancels such a request first, but nothing in this process can catch that trap.
public final class HTTPProbeClient: Sendable {
    private let session: URLSession
    private let userAgent: String

    /// - Parameters:
    ///   - maxConnectionsPerHost: connections kept per provider host (requests beyond wait for one).
    ///   - userAgent: the `User-Agent` header of every request.
    public init(maxConnectionsPerHost: Int = 8, userAgent: String = "provider-health-exporter") {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpMaximumConnectionsPerHost = max(1, maxConnectionsPerHost)
        configuration.timeoutIntervalForResource = 300
        session = URLSession(configuration: configuration, delegate: SameOriginRedirects(), delegateQueue: nil)
        self.userAgent = userAgent
    }

    deinit { session.invalidateAndCancel() }

    /// Sends `request` and waits at most its deadline. Throws only `CancellationError`, when the calling
    /// task is cancelled; every other problem is a `.failure` result.
    public func send(_ request: HTTPProbeRequest) async throws -> HTTPProbeResult {
        try Task.checkCancellation()
        guard let url = URL(string: request.url), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host != nil
        else {
            return .failure(.badResponse, message: "invalid URL", latencySeconds: 0)
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        // A backstop only: the deadline below is what ends the request.
        urlRequest.timeoutInterval = request.timeoutSeconds + 5
        urlRequest.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if let body = request.body { urlRequest.httpBody = Data(body) }

        let deadline = request.timeoutSeconds
        let session = self.session
        let prepared = urlRequest
        let winner = await withTaskGroup(of: HTTPProbeResult?.self) { group in
            group.addTask { await Self.perform(prepared, on: session) }
            group.addTask {
                do {
                    try await Task.sleep(for: .seconds(deadline))
                } catch {
                    return nil
                }
                return .failure(.timeout, message: timeoutMessage(deadline), latencySeconds: deadline)
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if Task.isCancelled { throw CancellationError() }
        // Both children only return nil when cancelled, and we were not: treat as the deadline.
        return winner ?? .failure(.timeout, message: timeoutMessage(deadline), latencySeconds: deadline)
    }

    /// One data task; returns nil if cancelled, without waiting for URLSession's callback.
    private static func perform(_ request: URLRequest, on session: URLSession) async -> HTTPProbeResult? {
        let exchange = PendingExchange()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<HTTPProbeResult?, Never>) in
                let start = ContinuousClock.now
                let task = session.dataTask(with: request) { data, response, error in
                    let elapsed = ContinuousClock.now - start
                    let latency = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                    exchange.finish(with: Self.result(data: data, response: response, error: error, latency: latency))
                }
                if exchange.begin(continuation, task: task) { task.resume() }
            }
        } onCancel: {
            exchange.cancel()
        }
    }

    private static func result(data: Data?, response: URLResponse?, error: (any Error)?, latency: Double)
        -> HTTPProbeResult
    {
        if let error {
            let code = (error as? URLError)?.code ?? URLError.Code(rawValue: (error as NSError).code) ?? .unknown
            let (reason, message) = classifyURLError(code)
            return .failure(reason, message: message, latencySeconds: latency)
        }
        guard let http = response as? HTTPURLResponse else {
            return .failure(.badResponse, message: "not an HTTP response", latencySeconds: latency)
        }
        var headers: [(name: String, value: String)] = []
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers.append((name, value)) }
        }
        let body = data.map { [UInt8]($0) } ?? []
        return .response(HTTPProbeResponse(statusCode: http.statusCode, headers: headers, body: body), latencySeconds: latency)
    }
}

/// The continuation of one data task, resumed exactly once: by URLSession's callback or by cancellation,
/// whichever comes first.
private final class PendingExchange: Sendable {
    private struct State {
        var continuation: CheckedContinuation<HTTPProbeResult?, Never>?
        var task: URLSessionDataTask?
        var cancelled = false
    }

    private let state = Mutex(State())

    /// Stores the continuation; false (and resumed with nil) when cancellation came first.
    func begin(_ continuation: CheckedContinuation<HTTPProbeResult?, Never>, task: URLSessionDataTask) -> Bool {
        let cancelled = state.withLock { state -> Bool in
            if state.cancelled { return true }
            state.continuation = continuation
            state.task = task
            return false
        }
        if cancelled { continuation.resume(returning: nil) }
        return !cancelled
    }

    func finish(with result: HTTPProbeResult) {
        let continuation = state.withLock { state in
            defer { state.continuation = nil; state.task = nil }
            return state.continuation
        }
        continuation?.resume(returning: result)
    }

    func cancel() {
        let (continuation, task) = state.withLock { state in
            defer { state.continuation = nil; state.task = nil; state.cancelled = true }
            return (state.continuation, state.task)
        }
        task?.cancel()
        continuation?.resume(returning: nil)
    }
}

/// Follows a redirect only to the same scheme, host and port: a probe request carries the API key.
private final class SameOriginRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        let from = task.originalRequest?.url
        let to = request.url
        let sameOrigin =
            from?.scheme?.lowercased() == to?.scheme?.lowercased() && from?.host?.lowercased() == to?.host?.lowercased()
            && from?.port == to?.port
        completionHandler(sameOrigin ? request : nil)
    }
}
