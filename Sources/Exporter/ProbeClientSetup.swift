import Logging
import Probing

/// The probe client, through the proxies the environment names (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`).
/// Logs the proxies in use without their credentials, and the variables ignored, without their values.
func makeProbeClient(environment: [String: String], logger: Logger) -> HTTPProbeClient {
    let (proxy, invalid) = ProbeProxy.fromEnvironment(environment)
    for variable in invalid {
        logger.warning("proxy variable ignored: not an http://host:port URL", metadata: ["variable": "\(variable)"])
    }
    if proxy != .none {
        logger.info(
            "probing through a proxy",
            metadata: [
                "https_proxy": "\(proxy.httpsServer?.description ?? "none")",
                "http_proxy": "\(proxy.httpServer?.description ?? "none")",
                "no_proxy": "\(proxy.bypass.joined(separator: ","))",
            ])
    }
    return HTTPProbeClient(proxy: proxy)
}
