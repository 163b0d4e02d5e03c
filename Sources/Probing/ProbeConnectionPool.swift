import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// How a connection reaches an origin: directly, or through a proxy. Connections are pooled by route, so a
/// tunnel through a proxy is never reused for another host, and no connection for another proxy.
struct ConnectionRoute: Sendable, Hashable {
    var origin: ProbeURL.Origin
    var proxy: ProbeProxy?

    /// HTTPS through a proxy: a `CONNECT` tunnel, TLS with the provider inside it.
    var tunnelled: Bool { proxy != nil && origin.scheme == .https }
    /// Plain HTTP through a proxy: requests in absolute form, sent to the proxy.
    var forwardedByProxy: Bool { proxy != nil && origin.scheme == .http }
}

/// One open connection on a route and the handler that runs its exchanges.
final class ProbeConnection: Sendable {
    let channel: any Channel
    let route: ConnectionRoute
    private let handler: NIOLoopBound<ProbeExchangeHandler>

    init(channel: any Channel, route: ConnectionRoute, handler: NIOLoopBound<ProbeExchangeHandler>) {
        self.channel = channel
        self.route = route
        self.handler = handler
    }

    /// Sends the request; the future fails with an `ExchangeFailure` when no complete response arrives.
    func exchange(head: HTTPRequestHead, body: [UInt8]?, maxBodyBytes: Int) -> EventLoopFuture<ReceivedResponse> {
        let promise = channel.eventLoop.makePromise(of: ReceivedResponse.self)
        let handler = self.handler
        let allocator = channel.allocator
        channel.eventLoop.execute {
            let buffer = body.map { allocator.buffer(bytes: $0) }
            handler.value.start(head: head, body: buffer, maxBodyBytes: maxBodyBytes, promise: promise)
        }
        return promise.futureResult
    }

    func close() { channel.close(promise: nil) }
}

/// Keeps idle keep-alive connections per route (route and proxy) and caps the connections open on one route; a
/// request over the cap waits for one to be handed back.
final class ProbeConnectionPool: Sendable {
    private struct RouteState {
        var idle: [ProbeConnection] = []
        var open = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Lease, Never>)] = []
    }

    /// What a request gets: a connection to reuse, or permission to open a new one.
    enum Lease {
        case reuse(ProbeConnection)
        case open
        case cancelled
    }

    private let state = NIOLockedValueBox([ConnectionRoute: RouteState]())
    private let nextWaiter = NIOLockedValueBox(0)
    private let maxPerRoute: Int
    /// Idle connections kept per route, fewer than the cap: probes come in bursts once a minute.
    private let maxIdlePerRoute: Int

    init(maxPerRoute: Int) {
        self.maxPerRoute = max(1, maxPerRoute)
        self.maxIdlePerRoute = max(1, min(4, maxPerRoute))
    }

    /// Waits for a connection or a slot; returns `.cancelled` when the task is cancelled meanwhile.
    func lease(_ route: ConnectionRoute) async -> Lease {
        if Task.isCancelled { return .cancelled }
        let id = nextWaiter.withLockedValue { value -> Int in
            value += 1
            return value
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Lease, Never>) in
                let immediate = state.withLockedValue { states -> Lease? in
                    var entry = states[route, default: RouteState()]
                    defer { states[route] = entry }
                    if let connection = entry.idle.popLast() { return .reuse(connection) }
                    if entry.open < maxPerRoute {
                        entry.open += 1
                        return .open
                    }
                    entry.waiters.append((id, continuation))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { states -> CheckedContinuation<Lease, Never>? in
                guard var entry = states[route], let index = entry.waiters.firstIndex(where: { $0.id == id }) else {
                    return nil
                }
                let removed = entry.waiters.remove(at: index)
                states[route] = entry
                return removed.continuation
            }
            waiter?.resume(returning: .cancelled)
        }
    }

    /// Hands a connection back after a complete exchange: to a waiter, to the idle list, or closed.
    func release(_ connection: ProbeConnection, reusable: Bool) {
        let route = connection.route
        enum Next { case give(CheckedContinuation<Lease, Never>), keep, close, slot(CheckedContinuation<Lease, Never>) }
        let next = state.withLockedValue { states -> Next in
            var entry = states[route, default: RouteState()]
            defer { states[route] = entry }
            if reusable, !entry.waiters.isEmpty { return .give(entry.waiters.removeFirst().continuation) }
            if reusable, entry.idle.count < maxIdlePerRoute {
                entry.idle.append(connection)
                return .keep
            }
            // Not kept: its slot goes to a waiter, who opens a new connection.
            if !entry.waiters.isEmpty { return .slot(entry.waiters.removeFirst().continuation) }
            entry.open -= 1
            return .close
        }
        switch next {
        case .give(let waiter): waiter.resume(returning: .reuse(connection))
        case .keep: break
        case .close: connection.close()
        case .slot(let waiter):
            connection.close()
            waiter.resume(returning: .open)
        }
    }

    /// Gives back a slot leased with `.open` whose connection failed or was never made.
    func releaseSlot(_ route: ConnectionRoute) {
        let waiter = state.withLockedValue { states -> CheckedContinuation<Lease, Never>? in
            var entry = states[route, default: RouteState()]
            defer { states[route] = entry }
            if !entry.waiters.isEmpty { return entry.waiters.removeFirst().continuation }
            entry.open -= 1
            return nil
        }
        waiter?.resume(returning: .open)
    }

    /// Removes a connection the server closed while it was idle; called from its close future.
    func forget(_ connection: ProbeConnection) {
        let removed = state.withLockedValue { states -> Bool in
            guard var entry = states[connection.route],
                let index = entry.idle.firstIndex(where: { $0 === connection })
            else { return false }
            entry.idle.remove(at: index)
            entry.open -= 1
            states[connection.route] = entry
            return true
        }
        if removed { releaseWaiterSlotIfAny(connection.route) }
    }

    /// After an idle connection left, a waiter may open a new one in its place.
    private func releaseWaiterSlotIfAny(_ route: ConnectionRoute) {
        let waiter = state.withLockedValue { states -> CheckedContinuation<Lease, Never>? in
            guard var entry = states[route], !entry.waiters.isEmpty, entry.open < maxPerRoute else { return nil }
            entry.open += 1
            let first = entry.waiters.removeFirst().continuation
            states[route] = entry
            return first
        }
        waiter?.resume(returning: .open)
    }

    /// Closes every idle connection (at shutdown).
    func closeIdle() {
        let idle = state.withLockedValue { states -> [ProbeConnection] in
            var all: [ProbeConnection] = []
            for (route, var entry) in states {
                all += entry.idle
                entry.open -= entry.idle.count
                entry.idle = []
                states[route] = entry
            }
            return all
        }
        for connection in idle { connection.close() }
    }

    /// Open connections to an origin, on every route (for tests).
    func openConnections(to origin: ProbeURL.Origin) -> Int {
        state.withLockedValue { states in states.filter { $0.key.origin == origin }.reduce(0) { $0 + $1.value.open } }
    }
}
