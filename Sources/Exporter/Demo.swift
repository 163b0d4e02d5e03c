import HealthCore
import ProviderSimulator

/// The built-in demo: the simulator's fleet (one provider per behaviour, each speaking a different API kind),
/// really probed over HTTP on loopback.
public enum Demo {
    /// The simulated providers for a demo of `providers` × `models` (default: the six behaviours).
    public static func simulatedProviders(providers: Int?, models: Int?) -> [SimulatedProvider] {
        SimulatedProvider.demoFleet(providers: providers, modelsPerProvider: models)
    }

    /// A configuration that monitors the simulated providers.
    public static func configuration(
        simulated: [SimulatedProvider], server: ProviderSimulatorServer, global: GlobalSettings
    ) -> ExporterConfiguration {
        // Probe twice per cycle (at most every second) so that the demo gathers the evidence a status needs
        // (two failures, two slow answers) within a few cycles.
        let interval = max(1, global.aggregationIntervalSeconds / 2)
        let providers = simulated.compactMap { sim -> ProviderSettings? in
            guard var settings = server.providerSettings(for: sim.name) else { return nil }
            settings.apiKey = .inline(Secret("demo-key-\(sim.name)"))
            settings.intervalSeconds = interval
            settings.timeoutSeconds = 5
            settings.jitterSeconds = min(0.2, interval / 10)
            settings.completionProbe = sim.name.hasPrefix("demo-healthy")
            settings.maxProbesPerHour = 100_000
            settings.breaker.openSeconds = max(10, interval * 5)
            return settings
        }
        return ExporterConfiguration(global: global, providers: providers)
    }
}
