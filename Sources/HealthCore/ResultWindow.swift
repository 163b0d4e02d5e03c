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

    public init(lengthSeconds: Double) {
        self.lengthSeconds = lengthSeconds
    }

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
        // Results almost always arrive in time order; a late one is inserted in place to keep the order.
        if let last = storage.last, head < storage.count, last.timestamp > entry.timestamp {
            let position = storage[head...].lastIndex(where: { $0.timestamp <= entry.timestamp }).map { $0 + 1 } ?? head
            storage.insert(entry, at: position)
        } else {
            storage.append(entry)
        }
    }

    /// Drops results older than the window at `now`.
    public mutating func expire(now: Double) {
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
