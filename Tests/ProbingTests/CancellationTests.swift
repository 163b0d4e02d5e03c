import HealthCore
import Probing
import ProviderSimulator
import Testing

extension NetworkTests {
    @Suite struct CancellationTests {
        @Test(arguments: [SimulatedBehaviour.neverAnswer, .drip(interval: 0.05), .slow(seconds: 10)])
        func cancellingTheSurroundingTaskEndsTheProbePromptly(behaviour: SimulatedBehaviour) async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: ["m"], behaviour: behaviour)]) {
                server in
                let provider = settings(server, "p", kind: .openai, models: ["m"], timeout: 30, completionProbe: true)
                let task = Task { try await probeOnce(provider) }
                // Let the request reach the server.
                while server.requestCount(for: "p") == 0 { try await Task.sleep(for: .milliseconds(10)) }
                let clock = ContinuousClock()
                let start = clock.now
                task.cancel()
                let result = await task.result
                let elapsed = (clock.now - start).seconds
                #expect(elapsed < 0.5)
                #expect(throws: CancellationError.self) { try result.get() }
            }
        }

        @Test func alreadyCancelledTaskSendsNothing() async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: ["m"])]) { server in
                let provider = settings(server, "p", kind: .openai)
                let task = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return try await probeOnce(provider)
                }
                await #expect(throws: CancellationError.self) { try await task.value }
                #expect(server.requestCount(for: "p") == 0)
            }
        }
    }
}
