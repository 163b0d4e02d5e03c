"""The checks of integration/e2e/test_http_abuse.py that need only /metrics and /-/healthy, run against one of the
bench servers: `python3 bench/http-server/abuse_check.py bench/http-server/.build/release/metrics-server-hummingbird`.
Prints one line per check (PASS/FAIL and what the server did) and a closing count; exits non-zero on a failure."""
import gzip
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "integration", "e2e"))
import test_http_abuse as t  # noqa: E402  (its helpers and request lists)

results = []

def check(name, fn):
    try:
        ok, seen = fn()
    except Exception as e:
        ok, seen = False, f"{type(e).__name__}: {e}"[:200]
    results.append((name, ok))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {seen}", flush=True)

def line_431():
    r, closed = t.exchange(port, b"GET /metrics?" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    if r is None: return False, f"no response, closed={closed}"
    return r[1] == 431 and closed and r[2].get("connection") == "close", f"status {r[1]}, body {r[3][:80]!r}, closed={closed}"

def headers_431():
    seen = []
    for h in (b"X-Padding: " + b"p" * 70_000 + b"\r\n",
              b"".join(b"X-Padding-%d: %s\r\n" % (i, b"p" * 40) for i in range(2500)),
              b"a:b\r\n" * 101):
        r, closed = t.exchange(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + h + b"\r\n")
        seen.append((r[1] if r else None, closed))
    return all(s == 431 and c for s, c in seen), f"(status, closed) {seen}"

def malformed():
    bad = []
    for raw in t.MALFORMED:
        r, closed = t.exchange(port, raw)
        try:
            ok = r is not None and r[1] == 400 and json.loads(r[3])["error"] == "bad request" and r[2].get("connection") == "close" and closed
        except Exception:
            ok = False
        if not ok: bad.append((raw[:24], r[1] if r else None, (r[3][:30] if r else b"")))
    return not bad, f"{len(t.MALFORMED) - len(bad)}/{len(t.MALFORMED)} answered 400 JSON + close; failing: {bad[:4]}"

def http10():
    r, closed = t.exchange(port, b"GET /metrics HTTP/1.0\r\n\r\n")
    if r is None: return False, "no response"
    return r[0] == "HTTP/1.0" and r[2].get("connection") == "close" and closed, f"{r[0]} {r[1]}, connection={r[2].get('connection')}, closed={closed}"

def pipelined():
    sock = t.connect(port)
    try:
        reqs = [b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
                b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
                b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n"]
        sock.sendall(b"".join(reqs) * 3)
        reader = t.Reader(sock)
        got = [reader.response(head_only=(i % 6 == 3))[1] for i in range(18)]
        codes = got[:6]
        return codes[:4] == [200, 200, 200, 200] and codes[4] == 404 and codes[5] == 405, f"statuses {codes}"
    finally:
        sock.close()

def garbage_after_good():
    sock = t.connect(port)
    try:
        sock.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n" + bytes(range(256)) * 16)
        reader = t.Reader(sock)
        first = reader.response()[1]
        try:
            second = reader.response()[1]
        except EOFError:
            second = None
        closed = reader.closed_by_peer()
        return first == 200 and second == 400 and closed, f"first {first}, then {second}, closed={closed}"
    finally:
        sock.close()

def slowloris():
    """20 connections dripping a head one byte a second and 20 silent ones: the server closes them at its 10 s head
    deadline, the dripping ones with a 408."""
    selector = selectors.DefaultSelector()
    conns = []
    for kind in ("idle", "slow"):
        for _ in range(20):
            sock = t.connect(port)
            sock.setblocking(False)
            conn = {"kind": kind, "sock": sock, "opened": time.monotonic(), "sent": 0, "data": b"", "closed": None}
            conns.append(conn)
            selector.register(sock, selectors.EVENT_READ, conn)
    deadline = time.monotonic() + 22
    next_drip = 0.0
    while time.monotonic() < deadline and selector.get_map():
        for key, _ in selector.select(timeout=0.05):
            conn = key.data
            try:
                data = conn["sock"].recv(1 << 16)
            except ConnectionResetError:
                data, conn["reset"] = b"", True
            conn["data"] += data
            if not data:
                conn["closed"] = time.monotonic() - conn["opened"]
                selector.unregister(conn["sock"])
                conn["sock"].close()
        if time.monotonic() >= next_drip:
            next_drip = time.monotonic() + 1
            for conn in conns:
                if conn["kind"] == "slow" and conn["closed"] is None and not conn["data"]:
                    try:
                        conn["sock"].send(t.Flood.SLOW_HEAD[conn["sent"]:conn["sent"] + 1])
                        conn["sent"] += 1
                    except OSError:
                        pass
    for conn in conns:
        if conn["closed"] is None:
            conn["sock"].close()
    idle = [conn["closed"] for conn in conns if conn["kind"] == "idle"]
    slow = [conn for conn in conns if conn["kind"] == "slow"]
    answered_408 = sum(1 for conn in slow if conn["data"].startswith(b"HTTP/1.1 408"))
    idle_open = sum(1 for closed in idle if closed is None)
    slow_open = sum(1 for conn in slow if conn["closed"] is None)
    ok = idle_open == 0 and slow_open == 0 and answered_408 == 20 and all(9 <= closed <= 15 for closed in idle)
    return ok, (f"after 22 s: silent still open {idle_open}/20, dripping still open {slow_open}/20, "
                f"dripping answered 408 {answered_408}/20")


def start(binary):
    """The server on a free port with tiny bodies (these checks are about the HTTP layer, not the exposition)."""
    bodies = tempfile.mkdtemp(prefix="abuse-check-")
    for name, text in (("text", b"# TYPE x gauge\nx 1\n"), ("openmetrics", b"# TYPE x gauge\nx 1\n# EOF\n")):
        with open(os.path.join(bodies, name), "wb") as f:
            f.write(text)
        with open(os.path.join(bodies, name + ".gz"), "wb") as f:
            f.write(gzip.compress(text))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    process = subprocess.Popen([binary, "--port", str(free), "--bodies", bodies], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", free), timeout=1).close()
            return process, free
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{binary} did not listen on {free}")


process, port = start(sys.argv[1])
for name, fn in [("request line over 64 KiB -> 431 + close", line_431), ("headers over the limits -> 431 + close", headers_431),
                 ("malformed requests -> JSON 400 + close", malformed), ("HTTP/1.0 -> 1.0 response + close", http10),
                 ("pipelined requests answered in order", pipelined), ("garbage after a good request -> 200, 400, close", garbage_after_good),
                 ("slowloris and silent connections closed at the 10 s head deadline (408)", slowloris)]:
    check(name, fn)
process.terminate()
process.wait(10)
print(f"{sum(ok for _, ok in results)} passed, {sum(not ok for _, ok in results)} failed")
sys.exit(1 if any(not ok for _, ok in results) else 0)
