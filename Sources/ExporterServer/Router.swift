import NIOHTTP1

/// What a route runs. `immediate` handlers answer on the event loop without a task hop — the /metrics
/// path, which only hands over pre-rendered bytes. `async` handlers may await (probes, database).
public enum RouteHandler: Sendable {
    case immediate(@Sendable (HTTPRequest) -> HTTPResponse)
    case async(@Sendable (HTTPRequest) async -> HTTPResponse)
}

/// Routes by method and path; `{name}` segments match one path segment.
public struct Router: Sendable {
    struct Route: Sendable {
        var method: HTTPMethod
        var segments: [Substring]
        var handler: RouteHandler
    }

    private var exact: [String: [(HTTPMethod, RouteHandler)]] = [:]
    private var patterns: [Route] = []

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ path: String, _ handler: RouteHandler) {
        if path.contains("{") {
            patterns.append(Route(method: method, segments: path.split(separator: "/"), handler: handler))
        } else {
            exact[path, default: []].append((method, handler))
        }
    }

    public enum Match {
        case found(RouteHandler, parameters: [String: String])
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    public func match(method: HTTPMethod, path: String) -> Match {
        var allowed: [HTTPMethod] = []
        if let candidates = exact[path] {
            for (m, handler) in candidates {
                if m == method || (method == .HEAD && m == .GET) { return .found(handler, parameters: [:]) }
                allowed.append(m)
            }
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for route in patterns where route.segments.count == segments.count {
            var parameters: [String: String] = [:]
            var matched = true
            for (pattern, actual) in zip(route.segments, segments) {
                if pattern.first == "{" && pattern.last == "}" {
                    if actual.isEmpty { matched = false; break }
                    parameters[String(pattern.dropFirst().dropLast())] = percentDecode(String(actual))
                } else if pattern != actual {
                    matched = false
                    break
                }
            }
            guard matched else { continue }
            if route.method == method || (method == .HEAD && route.method == .GET) {
                return .found(route.handler, parameters: parameters)
            }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }
}
