/// Something the encoder leaves out of its output, and why.
public struct ExpositionProblem: Sendable, Equatable, CustomStringConvertible {
    /// Name of the family concerned (as given, possibly invalid).
    public var family: String
    /// What is wrong and what was dropped.
    public var message: String

    /// Creates a problem report.
    public init(family: String, message: String) {
        self.family = family
        self.message = message
    }

    /// `family: message`.
    public var description: String { "\(family): \(message)" }
}
