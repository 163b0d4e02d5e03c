import Foundation
import HealthCore
import Testing

@testable import ExporterConfig

private let canary = "sk-canary-7d2e41aa90"

@Test func noneAndInlineNeedNothingElse() throws {
    #expect(try resolveAPIKey(.none, environment: [:]) == nil)
    #expect(try resolveAPIKey(.inline(Secret(canary)), environment: [:]) == Secret(canary))
}

@Test func environmentKeyIsReadAndTrimmed() throws {
    let key = try resolveAPIKey(.environment("MY_KEY"), environment: ["MY_KEY": " \(canary)\n"])
    #expect(key == Secret(canary))
}

@Test func missingOrEmptyVariableNamesTheVariableOnly() {
    for environment in [[:], ["MY_KEY": "  \n"]] as [[String: String]] {
        do {
            _ = try resolveAPIKey(
                .environment("MY_KEY"), environment: environment.merging(["OTHER": canary]) { a, _ in a })
            Issue.record("expected an error")
        } catch {
            let message = error.description
            #expect(message.contains("MY_KEY"))
            #expect(error.errors.first?.field == "api_key_env")
            #expect(!message.contains(canary))
        }
    }
}

@Test func fileKeyIsReadAndTrimmed() throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("openai")
    try "\(canary)\n".write(to: file, atomically: true, encoding: .utf8)
    #expect(try resolveAPIKey(.file(file.path), environment: [:]) == Secret(canary))
}

@Test func unreadableOrEmptyFileNamesTheFileOnly() throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let empty = directory.appendingPathComponent("empty")
    try "\n".write(to: empty, atomically: true, encoding: .utf8)
    let missing = directory.appendingPathComponent("missing").path
    let cases = [
        (missing, "cannot read API key file: no such file"), (empty.path, "API key file is empty"),
        (directory.path, "cannot read API key file: is a directory"),
    ]
    for (path, message) in cases {
        do {
            _ = try resolveAPIKey(.file(path), environment: ["X": canary])
            Issue.record("expected an error for \(path)")
        } catch {
            #expect(error.errors.map(\.message) == [message])
            #expect(error.errors.first?.file == path)
            #expect(error.description.contains(path))
            #expect(!error.description.contains(canary))
        }
    }
}

@Test func aKeyPutWhereANameBelongsIsNeverEchoed() {
    do {
        _ = try resolveAPIKey(.environment(canary), environment: [:])
        Issue.record("expected an error")
    } catch {
        #expect(!error.description.contains(canary))
        #expect(error.description.contains("<redacted>"))
    }
}
