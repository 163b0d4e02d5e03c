/// The caps on one outcomes request. What is over a cap is refused whole, with a 4xx.
public struct IngestLimits: Sendable, Equatable {
    /// Largest request body accepted, in bytes.
    public var maxBodyBytes: Int = 8 << 20
    /// Most outcomes in one request.
    public var maxBatchSize: Int = 10_000
    /// Most distinct models one provider may have (known ones plus the batch's new ones): bounds label cardinality.
    public var maxModelsPerProvider: Int = 1_000
    /// Whether outcomes for providers the configuration does not name are recorded.
    public var acceptUnknownProviders: Bool = false

    public init() {}

    public init(maxBodyBytes: Int, maxBatchSize: Int, maxModelsPerProvider: Int, acceptUnknownProviders: Bool) {
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchSize = maxBatchSize
        self.maxModelsPerProvider = maxModelsPerProvider
        self.acceptUnknownProviders = acceptUnknownProviders
    }
}
