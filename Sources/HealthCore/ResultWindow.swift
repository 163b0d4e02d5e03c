/// The results of one provider inside the sliding window, oldest first.
///
/// Entries are compact (model as an index into `models`) so that thousands of models and hundreds of
/// thousands of results stay cheap to hold and to roll up.
public struct ResultWindow: Sendable {
    public struct Entry: Sendable, Equatable {
        public var timestamp: Double
        public var latencySeconds: Double
        public var modelIndex: Int32
        public var statusCode: Int16
        public var success: Bool
        public var reason: FailureReason?
        public var source: ResultSource
        public var operation: OperationName
    }

    public let lengthSeconds: Double
    public private(set) var models: [String] = []
    private var modelIndexByName: [String: Int32] = [:]
    private var storage: [Entry] = []
    /// Index of the oldest live entry; storage before it is expired and compacted lazily.
    private var head = 0
    /// A result older than the newest arrived since the last `expire`: the storage is sorted there, once.
    private var needsSorting = false

    public init(lengthSeconds: Double) {
        self.lengthSeconds = lengthSeconds
    }

    /// In time order once `expire` has run since the last result arrived (the roll-up always expires first).
    public var entries: ArraySlice<Entry> { storage[head...] }
    public var count: Int { storage.count - head }

    /// Index of a model name, registering it on first sight.
    public mutating func index(ofModel name: String) -> Int32 {
        if let index = modelIndexByName[name] { return index }
        let index = Int32(models.count)
        models.append(name)
        modelIndexByName[name] = index
        return index
    }

    public func existingIndex(ofModel name: String) -> Int32? { modelIndexByName[name] }

    public mutating func append(_ result: ModelResult) {
        let entry = Entry(
            timestamp: result.timestamp, latencySeconds: result.latencySeconds,
            modelIndex: index(ofModel: result.model),
            statusCode: Int16(clamping: result.statusCode ?? 0), success: result.success,
            reason: result.reason, source: result.source, operation: result.operation)
        // Probes arrive in time order, gateway traffic nearly so (a batch is ordered by completion, several
        // services' batches overlap). Inserting each late result in place would shift every newer one: quadratic
        // at gateway rates. They are appended, and the window is sorted once per cycle, in `expire`, where the
        // sort's cost is about one pass over runs that are already in order.
        if !needsSorting, let last = storage.last, head < storage.count, last.timestamp > entry.timestamp {
            needsSorting = true
        }
        storage.append(entry)
    }

    /// Drops results older than the window at `now`, after putting late arrivals in their place.
    public mutating func expire(now: Double) {
        if needsSorting {
            storage[head...].sort { $0.timestamp < $1.timestamp }
            needsSorting = false
        }
        let cutoff = now - lengthSeconds
        while head < storage.count, storage[head].timestamp < cutoff { head += 1 }
        if head > 4096 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }

    /// Forget models that are no longer configured, keeping the others' results.
    public mutating func retainModels(_ keep: Set<String>) {
        let remaining = storage[head...].filter { keep.contains(models[Int($0.modelIndex)]) }
        let oldModels = models
        models = []
        modelIndexByName = [:]
        storage = remaining.map { entry in
            var e = entry
            e.modelIndex = index(ofModel: oldModels[Int(entry.modelIndex)])
            return e
        }
        head = 0
    }
}
