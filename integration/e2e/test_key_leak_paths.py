"""Canary keys on every path a key could escape by: every route (admin ones with and without the token, 404 and 405),
the status pages, CSV, debug logs in logfmt and JSON, providers that echo the key, Gemini, redirects within and
across origins, timeouts, garbage answers, `--config.check` and startup errors. The keys are found nowhere, and
the only server that ever receives one is the provider it belongs to, in a header."""
import gzip
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness import exporter_bin, http_request, run_exporter, wait_until

ADMIN_TOKEN = "admin-canary-token-4e5f6a7b8c9d"
INGEST_TOKEN = "ingest-canary-token-1029384756"
# One key per provider, in several formats: prefixed like real keys, plain hex, and a word no heuristic knows; no two
# share their first or last characters, so that hiding one never hides another by chance.
KEYS = {
    "echo": "sk-env-canary-1a2b3c4d5e6f7a8b",
    "anthropic": "sk-ant-canary-inline-0011223344",
    "gemini": "AIzaCanaryFile5566778899aabbccddee",
    "hf": "hf_canaryTokenAbCdEf0123456789",
    "same-origin": "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "cross-origin": "sk-xor-canary-77aa88bb99cc",
    "slow": "sk-slw-canary-1234abcd5678",
    "garbage": "canary-garbage-plain-key-31337",
    "bad-json": "sk-bdj-canary-51505150",
    "completion": "sk-cmp-canary-80808080",
}
# A gateway token in a credential header: shares nothing with the keys, so only its own redaction hides it.
HEADER_CANARY = "gwtok-Q9w8e7r6t5y4u3i2"
SECRETS = [*KEYS.values(), HEADER_CANARY, ADMIN_TOKEN, INGEST_TOKEN]


def fragments(secret):
    """The secret and long pieces of it: providers echo keys partly masked ("sk-proj-abc…wxyz")."""
    return [secret, secret[:12], secret[-12:]]


def assert_no_secret(text, where):
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    for secret in SECRETS:
        for piece in fragments(secret):
            assert piece not in text, f"{piece!r} (from {secret!r}) in {where}: {text[max(0, text.find(piece) - 200):][:400]!r}"


class Trap(BaseHTTPRequestHandler):
    """Fake providers, one behaviour per path prefix; every request is recorded (path, headers)."""
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    elsewhere = None  # base URL of the other origin, for the cross-origin redirect

    def log_message(self, *args):
        pass

    def presented(self):
        """Every credential the request carried, as a provider would echo it."""
        return " ".join(v for k, v in self.headers.items() if k.lower() in ("authorization", "x-api-key", "x-goog-api-key",
                                                                            "x-api-key-extra"))

    def reply(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the exporter gave up (timeout)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.requests.append((self.command, self.path, dict(self.headers.items()), body))
        echoed = self.presented()
        prefix = self.path.split("/")[1]
        if prefix == "echo":
            self.reply(401, {"error": {"message": f"Incorrect API key provided: {echoed}.", "key": echoed}},
                       [("WWW-Authenticate", f'Bearer realm="{echoed}"')])
        elif prefix == "anthropic":
            self.reply(401, {"type": "error", "error": {"type": "authentication_error", "message": f"invalid x-api-key {echoed}"}})
        elif prefix == "gemini":
            self.reply(400, {"error": {"code": 400, "message": f"API key not valid: {echoed} ({self.path})",
                                       "status": "INVALID_ARGUMENT", "details": [{"reason": "API_KEY_INVALID"}]}})
        elif prefix == "hf":
            self.reply(401, {"error": f"Invalid credentials in Authorization header {echoed}"})
        elif prefix == "same":
            self.reply(302, {"message": f"moved, {echoed}"}, [("Location", "/same-target/v1/models")])
        elif prefix == "same-target":
            self.reply(401, {"error": {"message": f"redirected and rejected: {echoed}"}})
        elif prefix == "cross":
            self.reply(307, {"message": f"go elsewhere with {echoed}"},
                       [("Location", f"{self.elsewhere}/stolen/v1/models?key={echoed.replace(' ', '+')}")])
        elif prefix == "slow":
            time.sleep(1.5)
            self.reply(500, {"error": {"message": f"too late for {echoed}"}})
        elif prefix == "garbage":
            self.wfile.write(b"\x00\xffNOT HTTP " + echoed.encode() + b"\r\n\r\n\x00")
            self.close_connection = True
        elif prefix == "bad-json":
            self.reply(200, b'{"object": "list", "data": [{"id": "' + echoed.encode() + b'", ')
        elif prefix == "completion":
            if self.command == "GET":
                self.reply(200, {"object": "list", "data": [{"id": "m1"}]})
            else:
                self.reply(500, {"error": {"message": f"upstream failed for {echoed} on {body[:200].decode()}"}})
        else:
            self.reply(404, {"error": f"nothing here for {echoed}"})

    do_GET = do_POST = handle_any


def serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def configuration(tmp, base):
    gemini_key = write(tmp, "gemini.key", KEYS["gemini"] + "\n")
    cross_key = write(tmp, "cross.key", KEYS["cross-origin"])
    return write(tmp, "config.yml", f"""
global: {{interval: 1s, timeout: 700ms, jitter: 10ms}}
providers:
  - {{name: echo, kind: openai, base_url: "{base}/echo/v1", api_key_env: CANARY_ECHO, models: [gpt-test],
     headers: {{X-Api-Key-Extra: {HEADER_CANARY}}}}}
  - {{name: anthropic, kind: anthropic, base_url: "{base}/anthropic", api_key: {KEYS["anthropic"]}}}
  - {{name: gemini, kind: gemini, base_url: "{base}/gemini", api_key_file: {gemini_key}, models: [gemini-test]}}
  - {{name: hf, kind: huggingface, base_url: "{base}/hf", api_key_env: CANARY_HF}}
  - {{name: same-origin, kind: openai, base_url: "{base}/same/v1", api_key: "{KEYS["same-origin"]}"}}
  - {{name: cross-origin, kind: openai, base_url: "{base}/cross/v1", api_key_file: {cross_key}}}
  - {{name: slow, kind: openai, base_url: "{base}/slow/v1", api_key_env: CANARY_SLOW}}
  - {{name: garbage, kind: openai, base_url: "{base}/garbage/v1", api_key: {KEYS["garbage"]}}}
  - {{name: bad-json, kind: openai, base_url: "{base}/bad-json/v1", api_key_env: CANARY_BADJSON}}
  - {{name: completion, kind: openai, base_url: "{base}/completion/v1", api_key: {KEYS["completion"]},
     models: [m1], completion_probe: true}}
""")


ENV = {"CANARY_ECHO": KEYS["echo"], "CANARY_HF": KEYS["hf"], "CANARY_SLOW": KEYS["slow"], "CANARY_BADJSON": KEYS["bad-json"]}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
WRONG = {"Authorization": "Bearer not-the-admin-token"}


def every_route(exporter):
    """Every route of the README's endpoint table and the error paths around them: [(what, status, body)]."""
    out = []

    def call(method, path, body=None, headers=None, expect=None):
        status, response_headers, data = http_request(exporter.base + path, method, body, headers)
        if response_headers.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        out.append((f"{method} {path}", status, data + json.dumps(response_headers).encode()))
        if expect is not None:
            assert status in (expect if isinstance(expect, tuple) else (expect,)), (method, path, status, data[:300])
        return status, data

    names = list(KEYS)
    call("GET", "/metrics", expect=200)
    call("GET", "/metrics", headers={"Accept": "application/openmetrics-text;version=1.0.0"}, expect=200)
    call("GET", "/metrics", headers={"Accept-Encoding": "gzip"}, expect=200)
    call("GET", "/", expect=200)
    for name in names:
        call("GET", f"/providers/{name}", expect=200)
        call("GET", f"/api/providers/status/{name}", expect=200)
        call("GET", f"/api/providers/history?hours=1&provider={name}", expect=200)
    call("GET", "/providers/nobody", expect=404)
    call("GET", "/health", expect=200)
    call("GET", "/api/providers/status", expect=200)
    call("GET", "/api/providers/status/nobody", expect=404)
    call("GET", "/api/providers/best", expect=(200, 503))
    call("GET", "/api/providers/history?hours=1", expect=200)
    call("GET", "/api/providers/history?hours=abc", expect=400)
    call("GET", "/api/providers/export/csv?hours=1", expect=200)
    call("GET", "/api/providers/export/csv?hours=1&provider=echo", expect=200)
    status, config_text = call("GET", "/config", expect=200)
    assert config_text.count(b"<secret>") >= 4, config_text  # the inline keys and the credential header
    for name in names:
        call("POST", f"/api/providers/{name}/check", expect=401)
        call("POST", f"/api/providers/{name}/check", headers=WRONG, expect=403)
        call("POST", f"/api/providers/{name}/check?force=true", headers=ADMIN, expect=(200, 429))
        call("POST", f"/api/providers/{name}/reset", expect=401)
        call("POST", f"/api/providers/{name}/reset", headers=WRONG, expect=403)
        call("POST", f"/api/providers/{name}/reset", headers=ADMIN, expect=200)
    call("POST", "/api/providers/nobody/check", headers=ADMIN, expect=404)
    call("POST", "/-/reload", expect=401)
    call("POST", "/-/reload", headers=WRONG, expect=403)
    call("POST", "/-/reload", headers=ADMIN, expect=200)
    call("GET", "/-/healthy", expect=200)
    call("GET", "/-/ready", expect=200)
    # Ingest: without and with the token; a gateway's error text that quotes a key is kept, the key is not.
    outcome = {"provider": "echo", "model": "gpt-test", "success": False, "latency_seconds": 0.2, "status_code": 401,
               "error": f"Incorrect API key provided: {KEYS['echo']}"}
    call("POST", "/api/v1/outcomes", json.dumps([outcome]).encode(), expect=401)
    call("POST", "/api/v1/outcomes", json.dumps([outcome]).encode(), {"Authorization": "Bearer wrong"}, expect=403)
    call("POST", "/api/v1/outcomes", json.dumps([outcome]).encode(), {"Authorization": f"Bearer {INGEST_TOKEN}"}, expect=202)
    call("POST", "/api/v1/outcomes", b'{"provider": "echo", "error": "' + KEYS["echo"].encode() + b'"',
         {"Authorization": f"Bearer {INGEST_TOKEN}"}, expect=400)
    # 404 and 405.
    call("GET", "/nope", expect=404)
    call("GET", "/api/providers/nope/deeper", expect=404)
    call("DELETE", "/metrics", expect=405)
    call("GET", "/api/v1/outcomes", expect=405)
    call("PUT", "/config", b"{}", expect=405)
    call("GET", "/-/reload", expect=405)
    call("GET", "/api/providers/echo/check", expect=405)
    # The pages and API once more, after the traffic outcome.
    for path in ["/api/providers/status", "/api/providers/status/echo", "/", "/providers/echo", "/metrics"]:
        call("GET", path, expect=200)
    return out


def probed_everything(exporter):
    status, body = exporter.json("/api/providers/status")
    providers = {p["name"]: p for p in body.get("providers", [])} if status == 200 else {}
    return len(providers) == len(KEYS) and all(p.get("last_check") for p in providers.values())


def statuses_of(exporter, *names):
    status, body = exporter.json("/api/providers/status")
    by_name = {p["name"]: p for p in body.get("providers", [])} if status == 200 else {}
    return [by_name.get(name, {}).get("status") for name in names]


@pytest.mark.parametrize("log_format", ["logfmt", "json"])
def test_no_key_on_any_route_page_log_or_foreign_server(log_format):
    trap, elsewhere = serve(Trap), serve(Trap)
    Trap.elsewhere = f"http://127.0.0.1:{elsewhere.server_address[1]}"
    base = f"http://127.0.0.1:{trap.server_address[1]}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = configuration(tmp, base)
            admin = write(tmp, "admin.token", ADMIN_TOKEN + "\n")
            ingest = write(tmp, "ingest.token", INGEST_TOKEN + "\n")
            with run_exporter("--config.file", config, "--aggregation.interval", "1s", "--history.path",
                              os.path.join(tmp, "h.sqlite"), "--web.admin-token-file", admin, "--web.ingest-token-file",
                              ingest, "--log.level", "debug", "--log.format", log_format, env=ENV) as exporter:
                wait_until(lambda: probed_everything(exporter), 20, what="every provider probed")
                # A provider is down only once the status rules have enough failures in a row, not at its first check.
                wait_until(lambda: all(s == "down" for s in statuses_of(exporter, "garbage", "bad-json")), 30,
                           what="garbage and bad-json down")
                responses = every_route(exporter)
                # Each error path really happened.
                _, body = exporter.json("/api/providers/status")
                by_name = {p["name"]: p for p in body["providers"]}
                for name in ["echo", "anthropic", "gemini", "hf", "same-origin"]:
                    assert by_name[name]["status"] == "unauthorized", (name, by_name[name])
                assert "timed out" in by_name["slow"]["last_error"]
                assert by_name["garbage"]["status"] == "down" and by_name["bad-json"]["status"] == "down"
                assert by_name["cross-origin"]["last_error"] == "HTTP 307: redirect to another origin, not followed"
                exporter.proc.send_signal(signal.SIGTERM)
                exporter.proc.wait(timeout=10)
                log = exporter.log()
        for what, status, body in responses:
            assert_no_secret(body, f"{what} ({status})")
        assert_no_secret(log, f"the {log_format} log")
        lines = [line for line in log.splitlines() if line.strip()]
        assert lines and (log_format != "json" or all(line.startswith("{") for line in lines))

        # Only the provider a key belongs to receives it, and only in a header: never in a URL, never elsewhere.
        assert elsewhere.requests == [], "a cross-origin redirect is not followed with the key"
        for method, path, headers, body in trap.requests:
            assert_no_secret(path, f"the URL of {method} {path}")
        gemini = [r for r in trap.requests if r[1].startswith("/gemini/")]
        assert gemini and all(r[2].get("x-goog-api-key") == KEYS["gemini"] for r in gemini)
        assert all("key=" not in r[1] and "authorization" not in {k.lower() for k in r[2]} for r in gemini)
        followed = [r for r in trap.requests if r[1].startswith("/same-target/")]
        assert followed and all(r[2].get("Authorization") == f"Bearer {KEYS['same-origin']}" for r in followed)
        owners = {"echo": "echo", "anthropic": "anthropic", "gemini": "gemini", "hf": "hf", "same": "same-origin",
                  "same-target": "same-origin", "cross": "cross-origin", "slow": "slow", "garbage": "garbage",
                  "bad-json": "bad-json", "completion": "completion"}
        for method, path, headers, body in trap.requests:
            owner = owners[path.split("/")[1]]
            carried = " ".join(headers.values()) + body.decode(errors="replace")
            for name, key in KEYS.items():
                assert (key in carried) == (name == owner), (name, method, path)
    finally:
        for server in (trap, elsewhere):
            server.shutdown()
            server.server_close()


INVALID_CONFIGS = {
    # Keys in the wrong fields, of the wrong type, beside each other, after typos, in URLs.
    "fields.yml": """
providers:
  - name: a
    kind: openai
    api_key_env: sk-canary-cfg-env-00112233
  - name: b
    kind: openai
    api_key_file: sk-canary-cfg-file-44556677
  - name: c
    kind: openai
    api_key: sk-canary-cfg-both-8899aabb
    api_key_env: SOME_VARIABLE
  - name: d
    kind: openai
    api_kye: sk-canary-cfg-typo-ccddeeff
  - name: e
    kind: openai
    api_key: [sk-canary-cfg-list-10203040]
  - name: f
    kind: openai
    api_key: {value: sk-canary-cfg-map-50607080}
  - name: g
    kind: gemini
    base_url: https://generativelanguage.googleapis.com/v1beta?key=AIzaCanaryCfgQuery90a0b0c0d0e0f
  - name: h
    kind: openai
    base_url: sk-canary-cfg-url-1a1b1c1d1e1f
  - name: i
    kind: openai
    headers: {Authorization: [Bearer sk-canary-cfg-hdr-2a2b2c2d]}
  - name: k
    kind: nosuchkind
    api_key: sk-canary-cfg-kind-5a5b5c5d
  - name: l
    kind: openai
    base_url: "generativelanguage.googleapis.com/v1beta?key=AIzaCanaryCfgNoScheme6a6b6c6d6e"
""",
    "duplicate.yml": "providers:\n  - name: j\n    kind: openai\n    api_key: sk-canary-cfg-dup-3a3b3c3d\n"
                     "    api_key: sk-canary-cfg-dup-4a4b4c4d\n",
    "syntax-quote.yml": 'providers:\n  - name: a\n    kind: openai\n    api_key: "sk-canary-cfg-quote-7a7b7c7d\n',
    "syntax-tab.yml": "providers:\n  - name: a\n\tapi_key: sk-canary-cfg-tab-8a8b8c8d\n",
    "syntax-flow.yml": "providers: [{name: a, api_key: sk-canary-cfg-flow-9a9b9c9d\n",
}


def config_canaries(text):
    import re
    return re.findall(r"(?:sk-canary-cfg-[a-z]+-[0-9a-f]+|AIzaCanaryCfg[A-Za-z0-9]+)", text)


def test_config_check_and_startup_errors_never_print_a_key():
    with tempfile.TemporaryDirectory() as tmp:
        key_file = write(tmp, "k.key", "sk-canary-cfg-keyfile-0f0e0d0c\n")
        valid = write(tmp, "valid.yml", f"""
providers:
  - {{name: inline, kind: openai, api_key: sk-canary-cfg-valid-1f1e1d1c, headers: {{X-Api-Key: sk-canary-cfg-vhdr-2f2e2d2c}}}}
  - {{name: from-file, kind: anthropic, api_key_file: {key_file}}}
""")
        run = subprocess.run([exporter_bin(), "--config.file", valid, "--config.check"], capture_output=True, text=True,
                             timeout=30)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "OK" in run.stdout
        for found in config_canaries(run.stdout + run.stderr):
            pytest.fail(f"{found} in the --config.check output of a valid file")

        for name, text in INVALID_CONFIGS.items():
            path = write(tmp, name, text)
            planted = config_canaries(text)
            assert planted
            for args in (["--config.check"], ["--log.format", "json", "--log.level", "debug"]):
                # --config.check prints the problems; a plain start logs them and exits.
                run = subprocess.run([exporter_bin(), "--config.file", path, "--web.listen-address", "127.0.0.1:0", *args],
                                     capture_output=True, text=True, timeout=30)
                out = run.stdout + run.stderr
                assert run.returncode != 0, (name, args, out)
                assert f"{name}:" in out, (name, args, out)  # the problems are reported, located
                leaked = [c for c in planted if c in out or c[:16] in out or c[-12:] in out]
                assert not leaked, (name, args, leaked, out)


def test_traffic_errors_that_quote_a_key_never_show_it():
    """A gateway passes on what the provider answered, key included: the exporter knows the provider's key and
    credential headers and removes them, whatever their shape (the decoder's heuristics only know key-like words)."""
    keys = {"hex": KEYS["same-origin"], "plain": KEYS["garbage"], "file": KEYS["gemini"], "prefixed": KEYS["echo"]}
    with tempfile.TemporaryDirectory() as tmp:
        key_file = write(tmp, "file.key", keys["file"] + "\n")
        # Probed once at start (nothing listens on port 9), then not for an hour: last_error stays the traffic's.
        config = write(tmp, "config.yml", f"""
global: {{interval: 1h, window: 3h, timeout: 300ms, jitter: 0s}}
providers:
  - {{name: hex, kind: openai, base_url: "http://127.0.0.1:9/v1", api_key: "{keys['hex']}"}}
  - {{name: plain, kind: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: PLAIN_KEY,
     headers: {{X-Gateway-Token: {HEADER_CANARY}}}}}
  - {{name: file, kind: gemini, base_url: "http://127.0.0.1:9", api_key_file: {key_file}}}
  - {{name: prefixed, kind: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: PREFIXED_KEY}}
""")
        with run_exporter("--config.file", config, "--aggregation.interval", "1s", "--history.path",
                          os.path.join(tmp, "h.sqlite"), "--web.allow-anonymous-writes",
                          env={"PLAIN_KEY": keys["plain"], "PREFIXED_KEY": keys["prefixed"]}) as exporter:
            wait_until(lambda: probed_everything_named(exporter, keys), 10, what="the first probes")
            lines = []
            for name, key in keys.items():
                said = f"gateway saw: Incorrect API key provided: {key}; masked {key[:8]}...{key[-4:]}"
                if name == "plain":
                    said += f"; token {HEADER_CANARY}"
                lines.append(json.dumps({"provider": name, "model": "*", "success": False, "latency_seconds": 0.1,
                                         "status_code": 401, "error": said}))
            posted_during = exporter.json("/api/providers/status")[1]["cycle"]["sequence"]
            status, _, body = http_request(exporter.base + "/api/v1/outcomes", "POST", "\n".join(lines).encode(),
                                           {"Content-Type": "application/x-ndjson"})
            assert status == 202, body
            # Two cycles after the post: every answer (and two history rows per provider) shows the traffic's
            # errors. Counting history points alone could be met by cycles that ran before the post.
            wait_until(lambda: exporter.json("/api/providers/status")[1]["cycle"]["sequence"] >= posted_during + 2,
                       10, what="two cycles after the post")
            wait_until(lambda: len(exporter.json("/api/providers/history?hours=1")[1]["points"]) >= 8,
                       10, what="two history cycles")
            seen = []
            for path in ["/api/providers/status", "/", "/metrics", "/api/providers/history?hours=1",
                         "/api/providers/export/csv?hours=1", *[f"/api/providers/status/{n}" for n in keys],
                         *[f"/providers/{n}" for n in keys]]:
                status, _, body = exporter.get(path)
                assert status == 200, path
                seen.append((path, body))
            exporter.proc.send_signal(signal.SIGTERM)
            exporter.proc.wait(timeout=10)
            log = exporter.log()
    _, status_body = seen[0]
    assert status_body.count(b"gateway saw: Incorrect API key provided: <") == len(keys), status_body
    for path, body in seen:
        text = body.decode(errors="replace")
        for key in [*keys.values(), HEADER_CANARY]:
            for piece in fragments(key) + [key[:8]]:
                assert piece not in text, (path, piece, text[max(0, text.find(piece) - 200):][:400])
    assert_no_secret(log, "the log")


def probed_everything_named(exporter, names):
    status, body = exporter.json("/api/providers/status")
    providers = {p["name"]: p for p in body.get("providers", [])} if status == 200 else {}
    return set(providers) == set(names) and all(p.get("last_check") for p in providers.values())
