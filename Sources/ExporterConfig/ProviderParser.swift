import HealthCore
import Probing

let providerKeys = [
    "name", "kind", "base_url", "api_key_env", "api_key_file", "api_key", "headers", "models",
    "interval", "timeout", "jitter", "completion_probe", "max_probes_per_hour", "thresholds", "breaker", "proxy_url",
    "aliases",
]
let modelKeys = ["name", "max_tokens"]
private var kindNames: [String] { ProviderKind.registered.map(\.rawValue) }

extension ConfigurationParser {
    mutating func parseProviders(_ entry: Entry, defaults: ProviderDefaults) -> [ProviderSettings] {
        guard let items = reader.sequence(entry) else { return [] }
        var providers: [ProviderSettings] = []
        var firstByName: [String: Node] = [:]
        var aliasNodes: [(provider: String, alias: String, node: Node, path: String)] = []
        for (index, item) in items.enumerated() {
            let path = "\(entry.path)[\(index)]"
            guard let (provider, nameNode) = parseProvider(item, path: path, defaults: defaults) else { continue }
            if let first = firstByName[provider.name] {
                reader.report(
                    nameNode, "\(path).name",
                    "duplicate provider name \(quoted(provider.name)) (first defined at line \(first.mark?.line ?? 0))")
                continue
            }
            firstByName[provider.name] = nameNode
            providers.append(provider)
            if case .mapping = item, let aliases = reader.fields(item, path: path, allowed: nil)?["aliases"],
                let nodes = reader.sequence(aliases)
            {
                for (i, node) in nodes.enumerated() where i < provider.aliases.count {
                    aliasNodes.append((provider.name, provider.aliases[i], node, "\(path).aliases[\(i)]"))
                }
            }
        }
        // An alias names one provider: two claiming it, or an alias that is another provider's name, would make
        // where a gateway's traffic lands depend on the order of the list.
        var claimed: [String: (provider: String, line: Int)] = [:]
        for (provider, alias, node, path) in aliasNodes {
            if let owner = firstByName[alias], alias != provider {
                reader.report(
                    node, path,
                    "alias \(quoted(alias)) is the name of provider \(quoted(alias)) (line \(owner.mark?.line ?? 0))")
            } else if let first = claimed[alias], first.provider != provider {
                reader.report(
                    node, path, "alias \(quoted(alias)) already names provider \(quoted(first.provider)) (line \(first.line))")
            } else {
                claimed[alias] = (provider, node.mark?.line ?? 0)
            }
        }
        return providers
    }

    /// One provider and the node of its name; nil when anything essential is wrong (the problems are reported).
    private mutating func parseProvider(
        _ node: Node, path: String, defaults: ProviderDefaults
    ) -> (ProviderSettings, Node)? {
        guard let fields = reader.fields(node, path: path, allowed: providerKeys + ProviderKind.allSettingKeys) else {
            return nil
        }
        let errorsBefore = reader.errors.count

        let name = fields["name"].flatMap { reader.nonEmptyString($0) }
        if fields["name"] == nil { reader.report(node, "\(path).name", "is required") }
        let kind = parseKind(fields["kind"], provider: node, path: path)

        var kindOptions: [String: String] = [:]
        if let kind { kindOptions = parseKindOptions(fields, kind: kind, provider: node, path: path) }
        var baseURL: String?
        if let e = fields["base_url"], let text = reader.nonEmptyString(e) {
            if let problem = baseURLProblem(text) {
                reader.report(e.value, e.path, problem)
            } else {
                baseURL = normalizedBaseURL(text)
            }
        } else if fields["base_url"] == nil, let name, let kind {
            baseURL = defaultBaseURL(name: name, kind: kind, options: kindOptions)
            if baseURL == nil, reader.errors.count == errorsBefore {
                reader.report(node, "\(path).base_url", "is required for kind \(kind.rawValue): it has no default endpoint")
            }
        }

        let apiKey = parseAPIKey(fields)
        let headers = fields["headers"].map { parseHeaders($0) } ?? [:]
        let models = fields["models"].map { parseModels($0) } ?? []

        var interval = defaults.interval
        var timeout = defaults.timeout
        var jitter = defaults.jitter
        parseTiming(fields, into: &interval, &timeout, &jitter)
        checkTiming(interval: interval, timeout: timeout, jitter: jitter, level: path)

        var settings = ProviderSettings(
            name: name ?? "", kind: kind ?? .openai, baseURL: baseURL ?? "", apiKey: apiKey, headers: headers,
            models: models, intervalSeconds: interval.value, timeoutSeconds: timeout.value,
            jitterSeconds: jitter.value, completionProbe: defaults.completionProbe,
            maxProbesPerHour: defaults.maxProbesPerHour, thresholds: defaults.thresholds, breaker: defaults.breaker,
            kindOptions: kindOptions)
        if let e = fields["completion_probe"], let value = reader.bool(e) { settings.completionProbe = value }
        // A kind without a completion request (HuggingFace) probes what it can.
        if let kind, !kind.hasCompletionProbe { settings.completionProbe = false }
        if let e = fields["max_probes_per_hour"], let value = reader.int(e, minimum: 1) {
            settings.maxProbesPerHour = value
        }
        if let e = fields["thresholds"] { settings.thresholds = parseThresholds(e, base: defaults.thresholds) }
        if let e = fields["proxy_url"] { settings.proxyURL = parseProxyURL(e) }
        if let e = fields["aliases"] { settings.aliases = parseAliases(e) }
        if let e = fields["breaker"] { settings.breaker = parseBreaker(e, base: defaults.breaker) }
        if reader.errors.count == errorsBefore {
            checkResultsPerWindow(settings, fields: fields, interval: interval, defaults: defaults, path: path)
        }

        guard reader.errors.count == errorsBefore, let nameNode = fields["name"]?.value else { return nil }
        return (settings, nameNode)
    }

    /// A status needs at least three results in the window to stand on; an interval (or a probe budget) that
    /// spaces probes wider leaves every window nearly empty. Reported at the provider's own setting when it has
    /// one, else once at the global one.
    private mutating func checkResultsPerWindow(
        _ settings: ProviderSettings, fields: Fields, interval: Sourced, defaults: ProviderDefaults, path: String
    ) {
        let window = defaults.window.value
        let spacing = settings.probeSpacingSeconds
        guard window / spacing < Double(Self.minimumResultsPerWindow) else { return }
        let room = Int((window / spacing).rounded(.down))
        let byBudget = spacing > settings.intervalSeconds
        let cause =
            byBudget
            ? "max_probes_per_hour \(settings.maxProbesPerHour) spaces probes \(renderDuration(spacing)) apart"
            : "interval \(renderDuration(settings.intervalSeconds)) spaces probes that far apart"
        let message =
            "\(cause), room for \(room) result\(room == 1 ? "" : "s") per model in the \(renderDuration(window)) window; "
            + "a status needs at least \(Self.minimumResultsPerWindow): "
            + (byBudget ? "raise max_probes_per_hour" : "shorten interval") + " or lengthen global.window"
        let own = byBudget ? fields["max_probes_per_hour"] ?? fields["completion_probe"] ?? fields["models"] : fields["interval"]
        if let own {
            reader.report(own.value, own.path, message)
        } else if !reportedWindowSpacing {
            reportedWindowSpacing = true
            let global = byBudget ? defaults.maxProbesPerHourEntry.map { ($0.value, $0.path) } : interval.node.map { ($0, interval.path) }
            let (node, field) = global ?? (defaults.window.node, defaults.window.path.isEmpty ? "global.window" : defaults.window.path)
            reader.report(node, field, message + " (\(path) and every other provider that inherits it)")
        }
    }

    static let minimumResultsPerWindow = 3

    private mutating func parseKind(_ entry: Entry?, provider: Node, path: String) -> ProviderKind? {
        guard let entry else {
            reader.report(provider, "\(path).kind", "is required (one of \(kindNames.joined(separator: ", ")))")
            return nil
        }
        guard let text = reader.string(entry) else { return nil }
        guard let kind = ProviderKind.registered.first(where: { $0.rawValue == text }) else {
            reader.report(
                entry.value, entry.path,
                "unknown kind \(displayValue(text))\(suggestionSuffix(for: text, in: kindNames)); "
                    + "expected one of \(kindNames.joined(separator: ", "))")
            return nil
        }
        return kind
    }

    /// At most one of api_key_env, api_key_file and api_key. Values are checked without ever being echoed
    /// when they look like key material.
    private mutating func parseAPIKey(_ fields: Fields) -> APIKeySource {
        // In document order, so the error points at the second one the reader meets.
        let given = ["api_key_env", "api_key_file", "api_key"].compactMap { fields[$0] }.sorted {
            position($0.keyNode) < position($1.keyNode)
        }
        if given.count > 1 {
            let names = given.map(\.key)
            let listed = names.dropLast().joined(separator: ", ") + " and " + names.last!
            let quantity = names.count == 2 ? "both" : "all"
            reader.report(given[1].keyNode, given[1].path, "\(listed) are \(quantity) set; set only one of them")
            return .none
        }
        guard let entry = given.first else { return .none }
        switch entry.key {
        case "api_key_env":
            guard let name = reader.nonEmptyString(entry, secret: true) else { return .none }
            if looksLikeSecret(name) {
                reader.report(
                    entry.value, entry.path,
                    "looks like a key itself; give the name of the environment variable holding it")
            } else if !isEnvironmentVariableName(name) {
                reader.report(entry.value, entry.path, "\(displayValue(name)) is not a valid environment variable name")
            }
            return .environment(name)
        case "api_key_file":
            guard let path = reader.nonEmptyString(entry, secret: true) else { return .none }
            if looksLikeSecret(path) {
                reader.report(entry.value, entry.path, "looks like a key itself; give the path of a file holding it")
            }
            return .file(path)
        default:
            guard let key = reader.nonEmptyString(entry, secret: true) else { return .none }
            return .inline(Secret(key))
        }
    }

    /// The provider's own HTTP proxy. Its URL may hold a password: never echoed, and kept as a secret.
    private mutating func parseProxyURL(_ entry: Entry) -> Secret? {
        guard let text = reader.nonEmptyString(entry, secret: true) else { return nil }
        switch ProbeProxy.parse(text) {
        case .success: return Secret(text)
        case .failure(let problem):
            reader.report(entry.value, entry.path, problem.description)
            return nil
        }
    }

    private mutating func parseHeaders(_ entry: Entry) -> [String: String] {
        guard let fields = reader.fields(entry.value, path: entry.path, allowed: nil) else { return [:] }
        var headers: [String: String] = [:]
        var seen = Set<String>()
        for header in fields.entries {
            guard isHeaderToken(header.key) else {
                reader.report(header.keyNode, header.path, "\(displayValue(header.key)) is not a valid header name")
                continue
            }
            guard seen.insert(header.key.lowercased()).inserted else {
                reader.report(header.keyNode, header.path, "duplicate header (header names are case-insensitive)")
                continue
            }
            // Header values may be credentials: never echoed.
            guard let value = reader.string(header, secret: true) else { continue }
            // Checked per scalar: "\r\n" is a single Character.
            if value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                reader.report(header.value, header.path, "header values must not contain line breaks")
                continue
            }
            headers[header.key] = value
        }
        return headers
    }

    /// Model entries: a name, or `{name, max_tokens}`.
    /// A list of non-empty, distinct names.
    private mutating func parseAliases(_ entry: Entry) -> [String] {
        guard let items = reader.sequence(entry) else { return [] }
        var aliases: [String] = []
        for (index, item) in items.enumerated() {
            let itemEntry = Entry(key: "", keyNode: item, value: item, path: "\(entry.path)[\(index)]")
            guard let alias = reader.nonEmptyString(itemEntry) else { continue }
            if aliases.contains(alias) {
                reader.report(item, itemEntry.path, "duplicate alias \(quoted(alias))")
                continue
            }
            aliases.append(alias)
        }
        return aliases
    }

    private mutating func parseModels(_ entry: Entry) -> [ModelSettings] {
        guard let items = reader.sequence(entry) else { return [] }
        var models: [ModelSettings] = []
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let path = "\(entry.path)[\(index)]"
            var model: ModelSettings?
            var nameNode = item
            switch item {
            case .scalar:
                if isNull(item) {
                    reader.report(item, path, "model name must not be empty")
                } else if let name = reader.nonEmptyString(Entry(key: "", keyNode: item, value: item, path: path)) {
                    model = ModelSettings(name: name)
                }
            case .mapping:
                guard let fields = reader.fields(item, path: path, allowed: modelKeys) else { continue }
                guard let nameEntry = fields["name"] else {
                    reader.report(item, "\(path).name", "is required")
                    continue
                }
                nameNode = nameEntry.value
                let maxTokens = fields["max_tokens"].flatMap { reader.int($0, minimum: 1) }
                if let name = reader.nonEmptyString(nameEntry) {
                    model = ModelSettings(name: name, maxTokens: maxTokens ?? 1)
                }
            default:
                reader.report(item, path, "expected a model name or {name, max_tokens}, got \(kindName(item))")
            }
            guard let model else { continue }
            if model.name == wholeAPIModelName {
                reader.report(
                    nameNode, path, "\(quoted(wholeAPIModelName)) is reserved for the provider's API as a whole")
            } else if let first = seen[model.name] {
                reader.report(
                    nameNode, path,
                    "duplicate model \(displayValue(model.name)) (first listed as \(entry.path)[\(first)])")
            } else {
                seen[model.name] = index
                models.append(model)
            }
        }
        return models
    }
}
