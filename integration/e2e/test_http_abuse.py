"""The HTTP server under abuse: idle connections and slowloris while /metrics is scraped, request heads over the
limits, pipelining, HTTP/1.0, malformed request lines and binary garbage. The server answers with a clear status or
closes cleanly, and scrapes keep working."""
import gzip
import json
import multiprocessing
import os
import queue
import random
import resource
import selectors
import socket
import statistics
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness import run_exporter

# Anonymous writes open, so that the well-formed outcome request below reaches the decoder.
DEMO = ("--demo", "--aggregation.interval", "1s", "--history.path", ":memory:", "--web.allow-anonymous-writes")
HEAD_DEADLINE = 10.0  # the server's request head timeout, seconds
MAX_HEAD_BYTES = 64 * 1024  # the server's limit on request line + headers
MAX_HEADER_FIELDS = 100
FLOOD = 1000  # idle connections, and as many slowloris ones
SCRAPE_SECONDS = 4.0
# Scrape latency during the flood, measured by this Python client. The machine has 2 cores shared with other jobs:
# p99 is 20-80 ms while it is quiet and reaches 300 ms while two compilers run beside the test, so the p99 bound
# leaves room for that; the median catches a server that really stalls.
P50_LIMIT_SECONDS = float(os.environ.get("ABUSE_SCRAPE_P50_MS", "20")) / 1000
P99_LIMIT_SECONDS = float(os.environ.get("ABUSE_SCRAPE_P99_MS", "250")) / 1000


def connect(port, timeout=10):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class Reader:
    """Reads HTTP responses off a socket one at a time (content-length framing, as the exporter writes them)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise EOFError(f"connection closed; unread: {self.buf[:200]!r}")
        self.buf += data

    def response(self, head_only=False):
        """(version, status, headers, body); `head_only` for the answer to a HEAD request."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ")[:2]
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        length = 0 if head_only else int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return version, int(status), headers, body

    def closed_by_peer(self, timeout=5):
        """True when the server closes (EOF) within `timeout` and sent nothing more; a reset counts as False."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 16)
        except (socket.timeout, ConnectionResetError):
            return False
        self.buf += data
        return data == b""


def exchange(port, raw, timeout=10):
    """Sends `raw` on a new connection; returns (first response or None, whether the server then closed)."""
    sock = connect(port, timeout)
    try:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed before we finished: the response, if any, is still readable
        reader = Reader(sock)
        try:
            response = reader.response()
        except EOFError:
            response = None
        return response, reader.closed_by_peer()
    finally:
        sock.close()


_parsed = {}


def assert_valid_metrics(body):
    """The body is a complete text exposition of the demo (parsed once per distinct body)."""
    key = hash(body)
    if key not in _parsed:
        families = {f.name: f for f in text_string_to_metric_families(body.decode())}
        assert "provider_health_exporter_build_info" in families, body[:300]
        providers = {s.labels.get("provider") for s in families["provider_health_score"].samples}
        assert len(providers) == 6, providers
        _parsed[key] = families
    return _parsed[key]


def scrape(port):
    """One scrape as Prometheus does it, on a new connection; returns (status, body, seconds)."""
    started = time.perf_counter()
    sock = connect(port)
    try:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Prometheus/3.0\r\n"
                     b"Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1\r\n\r\n")
        _, status, _, body = Reader(sock).response()
    finally:
        sock.close()
    return status, body, time.perf_counter() - started


@pytest.fixture(scope="module")
def exporter():
    with run_exporter(*DEMO) as running:
        yield running


def still_serving(exporter):
    assert exporter.proc.poll() is None, exporter.log()
    status, body, _ = scrape(exporter.port)
    assert status == 200
    assert_valid_metrics(body)


class Flood:
    """`FLOOD` connections that send nothing and `FLOOD` that send a request head one byte a second, held by a
    separate process (so that its work never holds up the scraping thread here) with a selector. Records, per
    connection, when the server closed it and what the server wrote before."""

    SLOW_HEAD = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000

    def __init__(self, port):
        context = multiprocessing.get_context("fork")
        self.open = context.Value("i", 0)
        self.results = context.Queue()
        self.ready = context.Event()
        self.stop = context.Event()
        self.process = context.Process(target=self._run, args=(port,), daemon=True)
        self.process.start()
        if not self.ready.wait(30):
            raise AssertionError("the flood did not open its connections")
        self.conns = None

    def _run(self, port):
        selector = selectors.DefaultSelector()
        conns = []
        for kind in ("idle", "slow"):
            for _ in range(FLOOD):
                sock = connect(port)
                sock.setblocking(False)
                conn = {"kind": kind, "sock": sock, "opened": time.monotonic(), "sent": 0, "data": b"", "closed": None}
                conns.append(conn)
                selector.register(sock, selectors.EVENT_READ, conn)
        self.open.value = len(conns)
        self.ready.set()
        next_drip = 0.0
        deadline = time.monotonic() + HEAD_DEADLINE + 15
        while not self.stop.is_set() and time.monotonic() < deadline and selector.get_map():
            for key, _ in selector.select(timeout=0.05):
                conn = key.data
                try:
                    data = conn["sock"].recv(1 << 16)
                except (BlockingIOError, InterruptedError):
                    continue
                except ConnectionResetError:
                    data, conn["reset"] = b"", True
                conn["data"] += data
                if not data:
                    conn["closed"] = time.monotonic()
                    selector.unregister(conn["sock"])
                    conn["sock"].close()
                    self.open.value -= 1
            now = time.monotonic()
            if now >= next_drip:
                next_drip = now + 1.0
                for conn in conns:
                    # Stop dripping once the server answered: more bytes would only make it reset the connection.
                    if conn["kind"] == "slow" and conn["closed"] is None and not conn["data"]:
                        try:
                            conn["sock"].send(self.SLOW_HEAD[conn["sent"]:conn["sent"] + 1])
                            conn["sent"] += 1
                        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                            pass
        for conn in conns:
            if conn["closed"] is None:
                conn["sock"].close()
            del conn["sock"]
        self.results.put(conns)

    def open_count(self):
        return self.open.value

    def finish(self, timeout):
        """Waits until the server closed every connection (or `timeout`), then returns the records."""
        try:
            self.conns = self.results.get(timeout=timeout)
        except queue.Empty:
            self.stop.set()
            self.conns = self.results.get(timeout=10)
        self.process.join(10)
        return self.conns


def lower_soft_nofile():
    """In the exporter's process: start it with the common soft limit of 1024 open files."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))


def open_files_limits(pid):
    with open(f"/proc/{pid}/limits") as f:
        line = next(line for line in f if line.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    return int(soft), int(hard)


def test_scrapes_stay_fast_under_idle_and_slowloris_connections():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 2 * FLOOD + 200:
        pytest.skip(f"the hard open files limit ({hard}) is too low for {2 * FLOOD} connections")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        # Started with a soft limit of 1024, the exporter only holds 2,000 connections if it raises its own limit.
        with run_exporter(*DEMO, preexec_fn=lower_soft_nofile) as exporter:
            soft_limit, hard_limit = open_files_limits(exporter.proc.pid)
            assert soft_limit == hard_limit, "the exporter raises its soft open files limit to the hard limit"
            quiet = sorted(scrape(exporter.port)[2] for _ in range(100))
            started = time.monotonic()
            flood = Flood(exporter.port)
            opened = time.monotonic() - started

            # The exporter accepts the queued connections first (its first scrape waits behind them); measure once it
            # holds all of them.
            warm_up = time.monotonic()
            while True:
                status, body, seconds = scrape(exporter.port)
                assert status == 200, body[:300]
                if assert_valid_metrics(body)["process_open_fds"].samples[0].value >= 2 * FLOOD:
                    break
                assert time.monotonic() - warm_up < HEAD_DEADLINE / 2, "the exporter did not accept every connection"
            warm_up = time.monotonic() - warm_up

            latencies, json_statuses, open_fds = [], [], 0
            scrape_until = time.monotonic() + SCRAPE_SECONDS
            while time.monotonic() < scrape_until:
                status, body, seconds = scrape(exporter.port)
                assert status == 200, body[:300]
                families = assert_valid_metrics(body)
                open_fds = max(open_fds, families["process_open_fds"].samples[0].value)
                latencies.append(seconds)
                if len(latencies) % 20 == 0:
                    json_statuses.append(exporter.get("/health")[0])
                time.sleep(0.01)
            held = flood.open_count()
            held_for = time.monotonic() - started

            flood.finish(timeout=HEAD_DEADLINE + 15)
            after = scrape(exporter.port)
            still_serving(exporter)

        latencies.sort()
        p50 = statistics.median(latencies)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        closes = {kind: sorted(c["closed"] - c["opened"] for c in flood.conns if c["kind"] == kind and c["closed"])
                  for kind in ("idle", "slow")}
        print(f"\nwithout the flood: p50 {statistics.median(quiet) * 1000:.1f} ms, p99 {quiet[98] * 1000:.1f} ms; "
              f"{2 * FLOOD} connections opened in {opened:.2f}s, all accepted after {warm_up:.2f}s; "
              f"{len(latencies)} scrapes in {SCRAPE_SECONDS:.0f}s: "
              f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms; "
              f"exporter open fds {open_fds:.0f}; held {held} for {held_for:.1f}s; "
              f"closed by the server after: idle {closes['idle'][0]:.1f}-{closes['idle'][-1]:.1f}s, "
              f"slowloris {closes['slow'][0]:.1f}-{closes['slow'][-1]:.1f}s")

        assert opened < HEAD_DEADLINE / 2, f"opening the connections took {opened:.1f}s"
        assert held == 2 * FLOOD and open_fds >= 2 * FLOOD, "every flood connection was held open while scraping"
        assert set(json_statuses) == {200}
        assert p50 < P50_LIMIT_SECONDS, f"scrape p50 {p50 * 1000:.1f} ms"
        assert p99 < P99_LIMIT_SECONDS, f"scrape p99 {p99 * 1000:.1f} ms"
        assert after[0] == 200
        # Every flood connection was closed by the server at the head deadline: silently when it sent nothing, with
        # a 408 when it had started a request.
        for conn in flood.conns:
            assert conn["closed"] is not None, conn["kind"]
            assert not conn.get("reset"), conn["kind"]
            if conn["kind"] == "idle":
                assert conn["data"] == b""
            else:
                assert conn["data"].startswith(b"HTTP/1.1 408 Request Timeout\r\n"), conn["data"][:100]
                assert b'"error":"request timeout"' in conn["data"]
        for kind, times in closes.items():
            assert HEAD_DEADLINE - 1 <= times[0] and times[-1] <= HEAD_DEADLINE + 5, (kind, times[0], times[-1])
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_request_line_over_the_limit_gets_431(exporter):
    raw = b"GET /metrics?" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    response, closed = exchange(exporter.port, raw)
    assert response is not None, "an answer, not a reset"
    version, status, headers, body = response
    assert status == 431 and headers["connection"] == "close"
    assert json.loads(body) == {"error": "request head too large",
                                "detail": f"the request line and headers are limited to {MAX_HEAD_BYTES} bytes and "
                                          f"{MAX_HEADER_FIELDS} header fields"}
    assert closed
    still_serving(exporter)


def test_headers_over_the_limit_get_431(exporter):
    big = b"X-Padding: " + b"p" * 70_000 + b"\r\n"  # one field over the byte limit
    many = b"".join(b"X-Padding-%d: %s\r\n" % (i, b"p" * 40) for i in range(2500))  # about 150 KB in 2,500 fields
    fields = b"a:b\r\n" * (MAX_HEADER_FIELDS + 1)  # a few hundred bytes, too many fields
    for headers in (big, many, fields):
        response, closed = exchange(exporter.port, b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n")
        assert response is not None and response[1] == 431 and closed, headers[:40]
    still_serving(exporter)


def test_accept_header_of_100_kb_gets_431_and_one_under_the_limit_is_negotiated(exporter):
    ranges = ",".join(f"application/x-format-{i};q=0.{i % 9 + 1}" for i in range(5000)).encode()
    huge = ranges[:100_000]
    response, closed = exchange(exporter.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: " + huge + b"\r\n\r\n")
    assert response is not None and response[1] == 431 and closed

    # 60 KB of media ranges, under the limit: answered, negotiated from the first ranges (OpenMetrics), and no
    # slower than a normal scrape (the server reads only the first few dozen ranges).
    accept = b"application/openmetrics-text;version=1.0.0;q=1," + ranges[:60_000].rsplit(b",", 1)[0]
    started = time.perf_counter()
    response, _ = exchange(exporter.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: " + accept
                           + b"\r\n\r\n")
    seconds = time.perf_counter() - started
    assert response is not None and response[1] == 200
    assert response[2]["content-type"].startswith("application/openmetrics-text")
    assert response[3].endswith(b"# EOF\n")
    print(f"\n60 KB Accept header: answered in {seconds * 1000:.1f} ms")
    assert seconds < 0.5
    still_serving(exporter)


PIPELINE = [
    # (request, HEAD?, check(status, headers, body))
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", False,
     lambda s, h, b: s == 200 and h["content-type"].startswith("text/plain") and assert_valid_metrics(b)),
    (b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", False,
     lambda s, h, b: s == 200 and json.loads(b)["ready"] is True),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n", False,
     lambda s, h, b: s == 200 and h["content-encoding"] == "gzip" and assert_valid_metrics(gzip.decompress(b))),
    (b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", True,
     lambda s, h, b: s == 200 and int(h["content-length"]) > 1000 and b == b""),
    (b"GET /api/providers/status HTTP/1.1\r\nHost: x\r\n\r\n", False,
     lambda s, h, b: s == 200 and len(json.loads(b)["providers"]) == 6),
    (b"GET /api/providers/best HTTP/1.1\r\nHost: x\r\n\r\n", False,
     lambda s, h, b: s in (200, 503) and "best_provider" in json.loads(b)),
    (b"POST /api/v1/outcomes HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: 79\r\n\r\n"
     b'{"provider":"demo-healthy","model":"gpt-4o","success":true,"latency_seconds":1}', False,
     lambda s, h, b: s in (202, 422) and json.loads(b)),
    (b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", False,
     lambda s, h, b: s == 404 and json.loads(b)["error"] == "not found"),
    (b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n", False,
     lambda s, h, b: s == 405 and h["allow"] == "GET"),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0\r\n\r\n", False,
     lambda s, h, b: s == 200 and b.endswith(b"# EOF\n")),
    (b"GET /api/providers/status/demo-slow HTTP/1.1\r\nHost: x\r\n\r\n", False,
     lambda s, h, b: s == 200 and json.loads(b)["name"] == "demo-slow"),
    (b"GET /-/ready HTTP/1.1\r\nHost: x\r\n\r\n", False, lambda s, h, b: s == 200 and b == b"ready\n"),
]


def test_pipelined_requests_are_answered_in_order_and_complete(exporter):
    sock = connect(exporter.port)
    try:
        rounds = 5
        sock.sendall(b"".join(request for request, _, _ in PIPELINE) * rounds)
        reader = Reader(sock)
        for n in range(rounds * len(PIPELINE)):
            request, head_only, check = PIPELINE[n % len(PIPELINE)]
            version, status, headers, body = reader.response(head_only=head_only)
            assert version == "HTTP/1.1"
            assert check(status, headers, body), (n, request[:40], status, body[:200])
        # Still open and usable after all of them.
        sock.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        assert reader.response()[3] == b"OK\n"
    finally:
        sock.close()


def test_http10_without_keep_alive_gets_an_http10_response_and_a_close(exporter):
    response, closed = exchange(exporter.port, b"GET /metrics HTTP/1.0\r\n\r\n")
    version, status, headers, body = response
    assert (version, status) == ("HTTP/1.0", 200)
    assert headers["connection"] == "close"
    assert_valid_metrics(body)
    assert closed

    # HTTP/1.0 asking for keep-alive keeps the connection.
    sock = connect(exporter.port)
    try:
        sock.sendall(b"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" * 2)
        reader = Reader(sock)
        for _ in range(2):
            version, status, headers, body = reader.response()
            assert (version, status) == ("HTTP/1.0", 200) and json.loads(body)["ready"] is True
            assert headers.get("connection") != "close"
    finally:
        sock.close()


MALFORMED = [
    b"GET\r\n\r\n",
    b"GET /metrics\r\n\r\n",
    b"GET /metrics HTTP/1.1 extra\r\n\r\n",
    b"GET /metrics HTTP/1.x\r\n\r\n",
    b"GET /metrics HTTP/11\r\n\r\n",
    b"get /metrics HTTP/1.1\r\n\r\n",
    b"BREW /metrics HTTP/1.1\r\n\r\n",
    b"GET /met\x00rics HTTP/1.1\r\n\r\n",
    b"GET /metrics HTTP/2.0\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost x\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHo st: x\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\n: empty-name\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\n folded-continuation\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    b"POST /api/v1/outcomes HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
    b"POST /api/v1/outcomes HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /metrics HTTP/1.1\nHost: x\n\n\x01",
]


@pytest.mark.parametrize("raw", MALFORMED, ids=lambda raw: raw[:30].decode("latin-1").replace("\r\n", "|"))
def test_malformed_request_gets_400_and_a_close(exporter, raw):
    response, closed = exchange(exporter.port, raw)
    assert response is not None, "a status, not a silent close"
    version, status, headers, body = response
    assert status == 400, (status, body)
    assert json.loads(body)["error"] == "bad request"
    assert headers["connection"] == "close" and closed


def test_binary_garbage_gets_400_and_the_server_keeps_serving(exporter):
    rng = random.Random(20240601)
    payloads = [bytes(rng.randrange(256) for _ in range(size)) for size in (1, 17, 4096, 65536)]
    payloads += [b"GET /metrics HTTP/1.1\r\n" + payloads[2], b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + payloads[1]]
    for payload in payloads:
        response, closed = exchange(exporter.port, payload)
        if response is None:
            assert closed, "a clean close, not a reset"
        else:
            assert response[1] in (400, 431) and closed, (payload[:20], response[1])
    # Garbage after a good request on the same connection: the good one is answered first.
    sock = connect(exporter.port)
    try:
        sock.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n" + payloads[2])
        reader = Reader(sock)
        assert reader.response()[1:4:2] == (200, b"OK\n")
        assert reader.response()[1] == 400
        assert reader.closed_by_peer()
    finally:
        sock.close()
    still_serving(exporter)
