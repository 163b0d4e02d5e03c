import ExporterServer
import Foundation
import HealthCore
import NIOCore
import OutcomeIngest
import Testing

@testable import Exporter

/// A gateway passes on what a provider answered, and providers echo the key they were given: the provider's own
/// key and credential headers never reach `last_error`, whatever their shape.
@Suite struct IngestSecretsTests {
    static let hexKey = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    static let plainKey = "canary-plain-key-31337"
    static let headerToken = "gwtok-Q9w8e7r6t5y4u3i2"

    func recorder(environment: [String: String] = ["PLAIN_KEY": plainKey]) -> (IngestRecorder, HealthStore) {
        let providers = [
            ProviderSettings(name: "hex", kind: .openai, baseURL: "http://127.0.0.1:9/v1", apiKey: .inline(Secret(Self.hexKey))),
            ProviderSettings(
                name: "plain", kind: .openai, baseURL: "http://127.0.0.1:9/v1", apiKey: .environment("PLAIN_KEY"),
                headers: ["X-Gateway-Token": Self.headerToken]),
        ]
        let store = HealthStore(configuration: ExporterConfiguration(providers: providers))
        return (IngestRecorder(store: store, limits: IngestLimits(), environment: environment), store)
    }

    func post(_ recorder: IngestRecorder, _ outcomes: [(String, String)]) -> HTTPResponse {
        let lines = outcomes.map { provider, error in
            #"{"provider":"\#(provider)","model":"*","success":false,"latency_seconds":0.1,"status_code":401,"error":"\#(error)"}"#
        }
        return recorder.ingest(
            HTTPRequest(
                method: .POST, uri: "/api/v1/outcomes", headers: ["content-type": "application/x-ndjson"],
                body: Array(lines.joined(separator: "\n").utf8)))
    }

    @Test func echoedKeysOfAnyShapeAreRemovedFromTrafficErrors() throws {
        let (recorder, store) = recorder()
        let response = post(recorder, [
            ("hex", "Incorrect API key provided: \(Self.hexKey) (masked \(Self.hexKey.prefix(8))...\(Self.hexKey.suffix(4)))"),
            ("plain", "rejected key \(Self.plainKey) and gateway token \(Self.headerToken)"),
        ])
        #expect(response.status == .accepted)
        let report = store.aggregate(now: Date().timeIntervalSince1970)
        let hexError = try #require(report.provider(named: "hex")?.lastError)
        let plainError = try #require(report.provider(named: "plain")?.lastError)
        #expect(hexError.hasPrefix("Incorrect API key provided: <secret>"), "\(hexError)")
        #expect(plainError == "rejected key <secret> and gateway token <secret>")
        for secret in [Self.hexKey, String(Self.hexKey.prefix(8)), Self.plainKey, Self.headerToken] {
            #expect(!hexError.contains(secret) && !plainError.contains(secret))
        }
    }

    @Test func errorsWithoutSecretsAreKept() throws {
        let (recorder, store) = recorder(environment: [:])  // the variable is unset: only the header is known
        #expect(post(recorder, [("plain", "upstream timeout after 30 s")]).status == .accepted)
        #expect(store.aggregate(now: Date().timeIntervalSince1970).provider(named: "plain")?.lastError == "upstream timeout after 30 s")
    }
}
