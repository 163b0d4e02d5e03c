"""A thousand providers that all hang at once.

Every provider is its own origin (its own port on 127.0.0.1), so the exporter holds a thousand stalled connections.
While they hang, every probe must end at its deadline as a `timeout`, /metrics must never wait on a probe (gzip scrapes
at a steady 50 per second, as a few Prometheus servers scrape, keep a p99 of milliseconds: the goal is 10 ms, the test
allows 50 ms because CI machines are shared, and a scrape held up by a hanging probe would take its 1.8 s timeout), and
an incident must leave no memory behind: after a second incident resident memory is where the first one left it.
"""
import asyncio
import http.client
import os
import re
import tempfile
import threading
import time

from harness import release_bin, run_exporter, wait_until

PROVIDERS = 1000
TIMEOUT_S = 1.8
INTERVAL_S = 2.0


class HangingFleet:
    """PROVIDERS OpenAI-compatible fake providers, one port each, that answer or hang as told."""

    def __init__(self):
        self.hang = False
        self.ports = []
        self.loop = asyncio.new_event_loop()
        self.open_connections = 0
        self.peak_hanging = 0
        self.hanging = 0
        self._ready = threading.Event()
        self._servers = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(30)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()

    async def _start(self):
        body = b'{"object":"list","data":[{"id":"m"}]}'
        answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)

        async def handle(reader, writer):
            self.open_connections += 1
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    if not head:
                        break
                    if self.hang:
                        self.hanging += 1
                        self.peak_hanging = max(self.peak_hanging, self.hanging)
                        try:
                            await reader.read()  # until the client gives up and closes
                        finally:
                            self.hanging -= 1
                        break
                    writer.write(answer)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
                pass
            finally:
                self.open_connections -= 1
                writer.close()

        for _ in range(PROVIDERS):
            server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=64)
            self._servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])

    def close(self):
        async def stop():
            for server in self._servers:
                server.close()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def settled_rss_kib(pid, seconds=5):
    """The least RSS seen over a few aggregation cycles: a reading taken while a cycle renders its bodies (several MB,
    freed at its end) says nothing about what stays."""
    readings = []
    for _ in range(int(seconds / 0.25)):
        readings.append(rss_kib(pid))
        time.sleep(0.25)
    return min(readings)


def rss_parts(pid):
    """VmRSS split into anonymous, file-backed and shared-memory pages, and the thread count: what grew, when RSS
    grows."""
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    return {key: re.search(rf"{key}:\s+(\d+)", text).group(1) for key in ("RssAnon", "RssFile", "RssShmem", "Threads")}


def scrape_latencies_ms(port, seconds, rate=50, gzip=True):
    """Scrapes /metrics at a steady rate on one keep-alive connection, as a few Prometheus servers would, and
    returns each scrape's time from request to last body byte, in milliseconds, sorted."""
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies = []
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        begin = time.monotonic()
        connection.request("GET", "/metrics", headers=headers)
        response = connection.getresponse()
        body = response.read()
        latencies.append((time.monotonic() - begin) * 1000)
        assert response.status == 200 and body, response.status
        pause = started + len(latencies) / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    connection.close()
    return sorted(latencies)


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def write_config(path, ports):
    lines = ["global:", "  aggregation_interval: 1s", f"  interval: {INTERVAL_S}s", f"  timeout: {int(TIMEOUT_S * 1000)}ms", "  jitter: 100ms",
             "  window: 20s", "  probe_concurrency: 2000", "  max_probes_per_hour: 100000",
             "  breaker: {failure_threshold: 1000, open_duration: 1s, success_threshold: 1}", "providers:"]
    for index, port in enumerate(ports):
        lines.append(f"  - {{name: p{index:04d}, kind: openai, base_url: 'http://127.0.0.1:{port}/v1', models: [m]}}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def provider_statuses(exporter):
    text = exporter.metrics({"Accept-Encoding": "gzip"})
    ones = re.findall(r'^provider_status\{provider="(p\d{4})",status="(\w+)"\} 1$', text, re.M)
    return dict(ones), text


def hang_and_recover(fleet, exporter):
    """One incident: every provider hangs until all are down, then answers until all are healthy again and the
    window (20 s) has forgotten the timeouts. Returns what was seen: times, timeouts, scrape latencies while
    hanging, and resident memory (KiB) before, while hanging and 20–25 s after (the least reading)."""
    seen = {"before": settled_rss_kib(exporter.proc.pid)}
    fleet.peak_hanging = 0
    _, text = provider_statuses(exporter)
    timeouts_before = failures(text, "timeout")
    fleet.hang = True
    hang_started = time.monotonic()
    # Every provider goes down through timeouts alone; none is left hanging past its deadline. A timeout is
    # confirmed by more probes, each waiting for its own deadline: a provider with this little history needs up
    # to 7 in a row.
    wait_until(lambda: list(provider_statuses(exporter)[0].values()).count("down") == PROVIDERS,
               INTERVAL_S + 0.5 + 7 * TIMEOUT_S + 1 + 10, interval=0.5, what="all providers down")
    seen["down_after"] = time.monotonic() - hang_started
    hanging = scrape_latencies_ms(exporter.port, 8)
    seen.update(hanging=hanging, p50=percentile(hanging, 0.5), p99=percentile(hanging, 0.99), requests=len(hanging),
                hung_connections=fleet.peak_hanging)
    _, text = provider_statuses(exporter)
    seen["timeouts"] = failures(text, "timeout") - timeouts_before
    seen["other"] = failures(text, "(?!timeout)\\w+")
    # Probes keep their cadence: each provider was probed within interval + jitter + timeout + slack.
    now = time.time()
    last_probes = [float(v) for v in re.findall(
        r'^provider_last_probe_timestamp_seconds\{provider="p\d{4}"\} (\S+)$', text, re.M)]
    seen["probed"] = len(last_probes)
    seen["stale"] = [t for t in last_probes if now - t > INTERVAL_S + 0.5 + TIMEOUT_S + 3]
    seen["during"] = rss_kib(exporter.proc.pid)

    fleet.hang = False
    back = time.monotonic()
    wait_until(lambda: list(provider_statuses(exporter)[0].values()).count("healthy") == PROVIDERS, 60,
               interval=0.5, what="all providers healthy again")
    seen["healthy_after"] = time.monotonic() - back
    time.sleep(20)
    seen["after"] = settled_rss_kib(exporter.proc.pid)
    return seen


def failures(text, reason):
    """Probe failures of `reason` (a regular expression) summed over the fleet."""
    return sum(float(v) for v in re.findall(
        rf'^provider_result_failures_total\{{provider="p\d{{4}}",source="probe",reason="{reason}"\}} (\S+)$',
        text, re.M))


def test_a_thousand_hanging_providers():
    fleet = HangingFleet()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "config.yml")
            write_config(config, fleet.ports)
            with run_exporter("--config.file", config, "--aggregation.interval", "1s", "--history.path",
                              # On disk: an in-memory history would grow by a row per provider per cycle.
                              os.path.join(tmp, "history.sqlite"),
                              "--log.level", "warn", binary=release_bin()) as exporter:
                wait_until(lambda: list(provider_statuses(exporter)[0].values()).count("healthy") == PROVIDERS, 60,
                           what="all providers healthy")
                time.sleep(5)
                healthy_p99 = percentile(scrape_latencies_ms(exporter.port, 4), 0.99)
                # The first incident grows the connection pools and the allocator's arenas to their working size;
                # the second shows whether an incident leaves memory behind.
                first = hang_and_recover(fleet, exporter)
                second = hang_and_recover(fleet, exporter)
                for incident in (first, second):
                    print(f"\n1,000 hanging providers: all down after {incident['down_after']:.1f} s; "
                          f"{incident['hung_connections']} connections hung at the peak; {int(incident['timeouts'])} "
                          f"timeouts, {int(incident['other'])} other failures; /metrics p99 {incident['p99']:.2f} ms "
                          f"(p50 {incident['p50']:.2f} ms) over {incident['requests']} gzip scrapes at 50/s while "
                          f"hanging ({healthy_p99:.2f} ms before); healthy again after {incident['healthy_after']:.1f} s; "
                          f"RSS before {incident['before'] / 1024:.1f} MiB, while hanging "
                          f"{incident['during'] / 1024:.1f} MiB, 20–25 s after {incident['after'] / 1024:.1f} MiB")
                for incident in (first, second):
                    assert incident["hung_connections"] >= PROVIDERS * 0.8, incident["hung_connections"]
                    assert incident["timeouts"] >= PROVIDERS and incident["other"] == 0, incident
                    assert incident["probed"] == PROVIDERS and not incident["stale"], incident["stale"][:5]
                    # Scrapes are served beside the hanging probes, never behind them (see the docstring).
                    hanging = incident["hanging"]
                    assert incident["p99"] < 50 and max(hanging) < TIMEOUT_S * 1000 / 4, hanging[-10:]
                # Resident memory after the second incident is where the first one left it. Growth that is not
                # a leak stays inside the slack: the history's page cache and collections reach their size at
                # this fleet's rate over about five minutes, and RSS moves with the arenas' free pages.
                assert second["after"] <= first["after"] * 1.10 + 4096, (
                    first, second, rss_parts(exporter.proc.pid))
    finally:
        fleet.close()
