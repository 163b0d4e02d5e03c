import HealthCore
import ProviderSimulator

/// The built-in demo: simulated providers on loopback, one per behaviour, really probed over HTTP.
public enum Demo {
    /// The six behaviours, named for what the exporter should report.
    static let behaviours: [(name: String, behaviour: SimulatedBehaviour, kind: ProviderKind)] = [
        ("healthy", .healthy, .openai),
        ("slow", .slow(seconds: 1.5), .anthropic),
        ("flaky", .flaky(failEvery: 5), .openai),
        ("ratelimited", .rateLimited, .openai),
        ("unauthorized", .unauthorized, .openai),
        ("down", .healthy, .openai),
    ]

    /// The simulated providers for a demo of `providers` × `models` (default: the six behaviours, three models each).
    public static func simulatedProviders(providers: Int?, models: Int?) -> [SimulatedProvider] {
        let count = max(1, providers ?? behaviours.count)
        let modelCount = max(1, models ?? 3)
        return (0..<count).map { i in
            let b = behaviours[i % behaviours.count]
            let name = count == behaviours.count || providers == nil ? "demo-\(b.name)" : "demo-\(b.name)-\(i / behaviours.count + 1)"
            return SimulatedProvider(
                name: name, kind: b.kind, models: (1...modelCount).map { "\(b.name)-model-\($0)" }, behaviour: b.behaviour)
        }
    }

    /// A configuration that monitors the simulated providers. The `down` ones point at `downURL`, a closed port.
    public static func configuration(
        simulated: [SimulatedProvider], server: ProviderSimulatorServer, downURL: String, global: GlobalSettings
    ) -> ExporterConfiguration {
        // Probe as often as we aggregate (at least every second) so that the demo shows every status quickly.
        let interval = max(1, global.aggregationIntervalSeconds)
        let providers = simulated.map { sim in
            var settings = ProviderSettings(
                name: sim.name, kind: sim.kind,
                baseURL: sim.name.hasPrefix("demo-down") ? downURL : server.baseURL(for: sim.name),
                apiKey: .inline(Secret("demo-key-\(sim.name)")), models: sim.models.map { ModelSettings(name: $0) },
                intervalSeconds: interval, timeoutSeconds: 5, jitterSeconds: min(0.2, interval / 10),
                completionProbe: sim.name.hasPrefix("demo-healthy"), maxProbesPerHour: 100_000)
            settings.breaker.openSeconds = max(10, interval * 5)
            return settings
        }
        return ExporterConfiguration(global: global, providers: providers)
    }
}
