"""Programmable fake LLM providers on 127.0.0.1 for the soak and truth runs.

One `FakeProviders` server answers for several OpenAI-compatible providers, each under its own path prefix
(`/<name>/v1/models`, `/<name>/v1/chat/completions`). What each request gets is decided by a callable
`behaviour(provider, path, number) -> Answer`, so a run can inject exactly the latency and errors it wants.
A behaviour with a true `wants_request` attribute is called as `behaviour(provider, path, number, request)`
instead, `request` a `Request` (method, path, headers, body and the `model` of a completion's JSON body), so
that it can answer per model. Every answer is logged (`served()`: arrival time, provider, path, model, status,
service time), so a run can compare what the exporter reports with what was really served, phase by phase.

A hard outage is `close()`: the listening socket *and every open connection* are closed, so keep-alive
connections the exporter pooled fail too, and a new connection is refused. `reopen()` listens again on the
same port.
"""
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    delay: float = 0.0
    headers: dict = field(default_factory=dict)
    # None: the usual body for the route and status.
    body: bytes = None
    content_type: str = "application/json"
    # A streamed answer: (seconds to wait, bytes) pieces sent with chunked transfer encoding instead of `body`.
    chunks: list = None


@dataclass
class Request:
    """What a behaviour with `wants_request` sees of a request."""
    method: str
    path: str
    headers: dict
    body: bytes
    # The `model` of a JSON body (completions), None otherwise.
    model: str = None


@dataclass
class Served:
    """One answer, as the fake served it."""
    arrived: float  # time.monotonic() when the request line arrived (one clock for every process on the host)
    provider: str
    path: str  # the path after the provider prefix, e.g. /v1/models
    model: str  # the completion's model, None for other requests
    status: int
    seconds: float  # request line to answer written


def _model_of(body):
    if not body:
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    model = value.get("model") if isinstance(value, dict) else None
    return model if isinstance(model, str) else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Accept bursts without refusing connections (the exporter may open many at once after a reload).
    request_queue_size = 128

    def __init__(self, address, handler, owner):
        self.owner = owner
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        with self.owner._lock:
            self.owner._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.owner._lock:
            self.owner._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        # Connections cut by an outage or by the exporter's deadline are expected: stay quiet.
        pass


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def parse_request(self):
        # The request line has just arrived: the injected delay counts from here.
        self._arrived = time.monotonic()
        return super().parse_request()

    def _answer(self, method):
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        request_body = self.rfile.read(length) if length else b""
        parts = self.path.split("?", 1)[0].strip("/").split("/", 1)
        provider = parts[0]
        rest = "/" + (parts[1] if len(parts) > 1 else "")
        models = owner.models.get(provider)
        number = owner._count(provider)
        model = _model_of(request_body)
        if models is None:
            answer = Answer(status=404, body=b'{"error": {"message": "no such provider"}}')
        elif getattr(owner.behaviour, "wants_request", False):
            request = Request(method, rest, {k.lower(): v for k, v in self.headers.items()}, request_body, model)
            answer = owner.behaviour(provider, rest, number, request) or Answer()
        else:
            answer = owner.behaviour(provider, rest, number) or Answer()
        if answer.delay > 0:
            wait = self._arrived + answer.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        body = answer.body
        if body is None and answer.chunks is None:
            body = _default_body(method, rest, answer.status, models or [], model)
        owner._tally(provider, answer.status)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        if answer.chunks is None:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if answer.chunks is None:
            self.wfile.write(body)
        else:
            for wait, piece in answer.chunks:
                if wait > 0:
                    time.sleep(wait)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        owner._served_in(time.monotonic() - self._arrived,
                         Served(self._arrived, provider, rest, model, answer.status, 0.0))

    def do_GET(self):
        self._answer("GET")

    def do_POST(self):
        self._answer("POST")


def _default_body(method, rest, status, models, model=None):
    if status == 200 and rest.endswith("/models"):
        return json.dumps({"object": "list", "data": [{"id": m, "object": "model"} for m in models]}).encode()
    if status == 200 and rest.endswith("/chat/completions"):
        return json.dumps({
            "id": "cmpl-fake", "object": "chat.completion", "model": model or "fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "p"}, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }).encode()
    if status == 200:
        return b'{"error": {"message": "not found"}}'
    messages = {429: "Rate limit reached, slow down", 500: "The server had an error", 502: "Bad gateway",
                503: "The engine is currently overloaded", 504: "Gateway timeout"}
    return json.dumps({"error": {"message": messages.get(status, f"HTTP {status}")}}).encode()


# OpenAI's own error bodies, byte for byte (pretty-printed, with a trailing newline, as api.openai.com sends them).
OPENAI_SERVER_ERROR = b"""{
    "error": {
        "message": "The server had an error while processing your request. Sorry about that!",
        "type": "server_error",
        "param": null,
        "code": null
    }
}
"""
OPENAI_RATE_LIMITED = b"""{
    "error": {
        "message": "Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): Limit 3, \
Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.",
        "type": "requests",
        "param": null,
        "code": "rate_limit_exceeded"
    }
}
"""


def openai_answer(status, model, content="p", stream=False, delay=0.0, first_token_delay=0.0):
    """What api.openai.com answers to a chat completion: `content` as the assistant's message (streamed as server-sent
    events, the first token after `first_token_delay`, when `stream`), or OpenAI's own error body for a 500 / 429."""
    headers = {"x-request-id": "req_fake", "openai-processing-ms": "12"}
    if status == 500:
        return Answer(status=500, delay=delay, headers=headers, body=OPENAI_SERVER_ERROR)
    if status == 429:
        return Answer(status=429, delay=delay, body=OPENAI_RATE_LIMITED, headers={
            **headers, "retry-after": "20", "x-ratelimit-limit-requests": "3", "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "20s"})
    usage = {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13,
             "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
             "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                           "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}
    common = {"id": "chatcmpl-fake", "created": 1767225600, "model": model, "service_tier": "default",
              "system_fingerprint": "fp_fake"}
    if not stream:
        return Answer(delay=delay, headers=headers, body=json.dumps({
            **{"id": common["id"], "object": "chat.completion"}, **common,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None,
                                                 "annotations": []},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": usage}, indent=2).encode())

    def event(delta, finish=None, with_usage=False):
        chunk = {"id": common["id"], "object": "chat.completion.chunk", **common,
                 "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        if with_usage:
            chunk["usage"] = usage
        return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"

    words = content.split(" ")
    chunks = [(first_token_delay, event({"role": "assistant", "content": "", "refusal": None}))]
    chunks += [(0.0, event({"content": (" " if i else "") + word})) for i, word in enumerate(words)]
    chunks += [(delay, event({}, "stop")), (0.0, event({}, with_usage=True)), (0.0, b"data: [DONE]\n\n")]
    return Answer(delay=0.0, headers=headers, content_type="text/event-stream; charset=utf-8", chunks=chunks)


class FakeProviders:
    """Serves `models` ({provider: [model, ...]}) on 127.0.0.1; `behaviour` decides every answer."""

    def __init__(self, models, behaviour=None, port=0):
        self.models = dict(models)
        self.behaviour = behaviour or (lambda provider, path, number: Answer())
        self._lock = threading.Lock()
        self._connections = set()
        self._numbers = {}
        self.answers = {}  # provider -> {status: count}
        self.service_times = []  # seconds from request line to the answer written, every answer
        self.served = []  # a `Served` per answer, in the order they were written
        self._server = None
        self._thread = None
        self.port = port
        self._listen()

    def _listen(self):
        self._server = _Server(("127.0.0.1", self.port), _Handler, self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def base_url(self, provider):
        return f"http://127.0.0.1:{self.port}/{provider}/v1"

    def _count(self, provider):
        with self._lock:
            self._numbers[provider] = self._numbers.get(provider, 0) + 1
            return self._numbers[provider] - 1

    def _tally(self, provider, status):
        with self._lock:
            per = self.answers.setdefault(provider, {})
            per[status] = per.get(status, 0) + 1

    def _served_in(self, seconds, served=None):
        with self._lock:
            self.service_times.append(seconds)
            if served is not None:
                served.seconds = seconds
                self.served.append(served)

    def tallies(self, provider):
        with self._lock:
            return dict(self.answers.get(provider, {}))

    def close(self):
        """Hard outage: stop listening and cut every open connection."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                conn.close()
            except OSError:
                pass

    def reopen(self):
        """Listen again on the same port."""
        if self._server is None:
            self._listen()

    def stop(self):
        self.close()


class FakeProvidersProcess:
    """`FakeProviders` in a child process of its own, so that its answers keep their timing while the
    driver parses scrapes: in one process, a thread waking from its injected delay waits for the
    interpreter lock, up to the 5 ms switch interval. Same methods; `behaviour` is forked, not pickled."""

    def __init__(self, models, behaviour=None):
        import multiprocessing
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._proc = context.Process(target=_serve_child, args=(child, models, behaviour), daemon=True)
        self._proc.start()
        self.port = self._call("port")

    def _call(self, *command):
        self._conn.send(command)
        ok, value = self._conn.recv()
        if not ok:
            raise RuntimeError(value)
        return value

    def base_url(self, provider):
        return f"http://127.0.0.1:{self.port}/{provider}/v1"

    def close(self):
        self._call("close")

    def reopen(self):
        self._call("reopen")

    def set(self, name, value):
        """Sets an attribute of the behaviour in the child (e.g. a switch to clean answers)."""
        self._call("set", name, value)

    def tallies(self, provider):
        return self._call("tallies", provider)

    def service_times(self):
        return self._call("service_times")

    def served(self, start=0):
        """The `Served` log from index `start` on (pass the length already read to get only what is new)."""
        return self._call("served", start)

    def stop(self):
        if self._proc.is_alive():
            try:
                self._call("stop")
            except (EOFError, OSError, RuntimeError):
                pass
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.kill()


def _serve_child(conn, models, behaviour):
    import sys
    sys.setswitchinterval(0.0005)
    fake = FakeProviders(models, behaviour)
    while True:
        try:
            command = conn.recv()
        except EOFError:
            break
        name, args = command[0], command[1:]
        try:
            if name == "port":
                value = fake.port
            elif name == "close":
                value = fake.close()
            elif name == "reopen":
                value = fake.reopen()
            elif name == "set":
                value = setattr(fake.behaviour, args[0], args[1])
            elif name == "tallies":
                value = fake.tallies(args[0])
            elif name == "service_times":
                with fake._lock:
                    value = list(fake.service_times)
            elif name == "served":
                with fake._lock:
                    value = list(fake.served[args[0]:])
            elif name == "stop":
                fake.stop()
                conn.send((True, None))
                break
            else:
                raise ValueError(f"unknown command {name}")
            conn.send((True, value))
        except Exception as e:  # report, keep serving
            conn.send((False, f"{type(e).__name__}: {e}"))
