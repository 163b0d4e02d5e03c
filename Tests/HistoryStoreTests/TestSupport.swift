import Foundation
import Synchronization

@testable import HistoryStore

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A switch a test flips while the store's hooks read it.
final class Switch: Sendable {
    private let state: Mutex<Bool>
    init(_ on: Bool) { state = Mutex(on) }
    var isOn: Bool { state.withLock { $0 } }
    func set(_ on: Bool) { state.withLock { $0 = on } }
}

func row(
    _ timestamp: Double, _ provider: String = "openai", available: Bool = true, healthScore: Double = 0.9
) -> HistoryRow {
    HistoryRow(
        timestamp: timestamp, provider: provider, status: available ? "healthy" : "down", available: available,
        healthScore: healthScore, errorRate: available ? 0 : 1, p50LatencySeconds: available ? 0.2 : nil,
        p95LatencySeconds: available ? 0.45 : nil, results: 12, modelsAvailable: available ? 3 : 0, modelsTotal: 3,
        breakerState: available ? "closed" : "open"
    )
}
