/// A server a test starts on loopback and must shut down however the test ends.
protocol TestServer: Sendable {
    func shutdown() async
}

extension TestServer {
    /// Runs `body` against this server, then shuts it down, also when `body` throws.
    func serving<T: Sendable>(_ body: (Self) async throws -> T) async throws -> T {
        do {
            let value = try await body(self)
            await shutdown()
            return value
        } catch {
            await shutdown()
            throw error
        }
    }
}

extension FaultyServer: TestServer {}
extension LoopbackHTTPServer: TestServer {}
extension ScriptedOpenAIServer: TestServer {}
