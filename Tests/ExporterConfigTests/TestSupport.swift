import Foundation
import Testing

@testable import ExporterConfig

/// Absolute path of a file under testdata/.
func testdataPath(_ relative: String) throws -> String {
    let root = try #require(Bundle.module.resourceURL).appendingPathComponent("testdata")
    let url = root.appendingPathComponent(relative)
    #expect(FileManager.default.fileExists(atPath: url.path), "missing testdata \(relative)")
    return url.path
}

/// The errors a file yields; fails the test when it parses.
func errors(ofFile relative: String) throws -> [ConfigError] {
    let path = try testdataPath(relative)
    do {
        let config = try loadConfiguration(path: path)
        Issue.record("\(relative) parsed without errors: \(config)")
        return []
    } catch {
        return error.errors
    }
}

/// The errors a YAML text yields; fails the test when it parses.
func errors(ofYAML yaml: String, filename: String = "config.yml") -> [ConfigError] {
    do {
        let config = try parseConfiguration(yaml: yaml, filename: filename)
        Issue.record("parsed without errors: \(config)")
        return []
    } catch {
        return error.errors
    }
}

/// A fresh temporary directory, removed by the caller.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("exporter-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
