import HummingbirdBcrypt
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// HTTP basic auth against bcrypt hashes, as exporter-toolkit's `basic_auth_users`.
///
/// bcrypt is slow on purpose (tens to hundreds of milliseconds per check), so that it cannot become a way to take
/// the server down: verifications run one at a time on a thread of their own, never on an event loop, and outcomes
/// are cached by (user, hash, password) as exporter-toolkit does, so a scraper presenting the same credentials every
/// 15 s costs one bcrypt in total. Passwords are never logged.
public final class BasicAuthenticator: Sendable {
    /// User → hash, with `$2y$` (htpasswd's spelling) written as the identical `$2b$` the bcrypt library reads.
    private let users: [String: String]
    private let cache = NIOLockedValueBox<[CacheKey: Bool]>([:])
    private let pool: NIOThreadPool
    /// Most cached outcomes; past it an arbitrary one is dropped, so random guesses cannot grow memory.
    static let cacheCapacity = 256
    /// Checked for unknown users, so that the answer takes as long as for a known user (no user enumeration).
    private let decoyHash: String

    fileprivate struct CacheKey: Hashable, Sendable {
        var user: String
        var hash: String
        var password: String
    }

    public enum Verdict: Sendable {
        case allowed(user: String)
        case denied
        /// Not cached: `verify` decides, off the event loop.
        case needsCheck(Credentials)
    }

    public struct Credentials: Sendable {
        fileprivate var key: CacheKey
        fileprivate var known: Bool
        public var user: String { key.user }
    }

    public init(users: [String: String]) {
        self.users = users.mapValues { $0.hasPrefix("$2y$") ? "$2b$" + $0.dropFirst(4) : $0 }
        let cost = self.users.values.first.flatMap { UInt8($0.dropFirst(4).prefix(2)) } ?? 10
        decoyHash = Bcrypt.hash(String(UInt64.random(in: .min ... .max)), cost: min(max(cost, 4), 14))
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    deinit {
        pool.shutdownGracefully { _ in }
    }

    /// Decides from the Authorization header alone when it can (missing or malformed credentials, cached outcomes).
    public func evaluate(authorization: String?) -> Verdict {
        guard let (user, password) = Self.decode(authorization) else { return .denied }
        let hash = users[user]
        let key = CacheKey(user: user, hash: hash ?? decoyHash, password: password)
        if let cached = cache.withLockedValue({ $0[key] }) { return cached && hash != nil ? .allowed(user: user) : .denied }
        return .needsCheck(Credentials(key: key, known: hash != nil))
    }

    /// Runs bcrypt on the authenticator's own thread and caches the outcome.
    public func verify(_ credentials: Credentials, on eventLoop: any EventLoop) -> EventLoopFuture<Bool> {
        pool.runIfActive(eventLoop: eventLoop) { [cache] in
            let matches = Bcrypt.verify(credentials.key.password, hash: credentials.key.hash)
            cache.withLockedValue { cache in
                if cache.count >= Self.cacheCapacity, let victim = cache.keys.randomElement() { cache[victim] = nil }
                cache[credentials.key] = matches
            }
            return matches && credentials.known
        }
    }

    /// `Basic base64(user:password)` → (user, password).
    static func decode(_ header: String?) -> (String, String)? {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic " else { return nil }
        let encoded = header.dropFirst(6).trimmingSpaces()
        guard let bytes = decodeBase64(encoded), let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return (String(decoding: bytes[..<colon], as: UTF8.self), String(decoding: bytes[(colon + 1)...], as: UTF8.self))
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}

/// Standard base64 with padding; nil for anything else.
func decodeBase64(_ text: Substring) -> [UInt8]? {
    var output: [UInt8] = []
    output.reserveCapacity(text.utf8.count * 3 / 4)
    var buffer: UInt32 = 0
    var bits = 0
    var padding = 0
    for byte in text.utf8 {
        let value: UInt8
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): value = 62
        case UInt8(ascii: "/"): value = 63
        case UInt8(ascii: "="):
            padding += 1
            continue
        default: return nil
        }
        guard padding == 0 else { return nil }
        buffer = buffer << 6 | UInt32(value)
        bits += 6
        if bits >= 8 {
            bits -= 8
            output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
        }
    }
    guard (text.utf8.count % 4 == 0 || padding == 0), padding <= 2 else { return nil }
    return output
}
