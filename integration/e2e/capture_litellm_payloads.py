"""Records what a real LiteLLM proxy's `generic_api` logging callback posts, for the decoder's test fixtures.

    python3 integration/e2e/capture_litellm_payloads.py OUTPUT_DIR [FORMAT...] [budget]

Runs the proxy in front of the fake OpenAI providers (see litellm_proxy.py), makes one call of each kind (success,
streamed success, 500, 429, gateway timeout, LiteLLM's own rpm refusal) once per batch format, and writes every
body the callback posted to OUTPUT_DIR/<format>-<n>.json as received. `budget` records, one payload per body, the
calls through `chat-budget` up to LiteLLM's refusal over the deployment's budget, to OUTPUT_DIR/budget-<n>.json. The
prompt and answer are canary strings.
"""
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from litellm_proxy import (  # noqa: E402
    PROXY_LIMITS, chat, fake_openai_providers, model_list, run_litellm, spend_the_budget)

PROMPT_CANARY = "CANARY-PROMPT-7f3a9c"
ANSWER_CANARY = "CANARY-ANSWER-b81e42"


class Catcher(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bodies = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.bodies.append((self.headers.get("Content-Type"), self.headers.get("Authorization"), body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def capture(log_format, providers, out_dir, calls=None, prefix=None):
    """Runs `calls(base, prompt)` (by default one call of each kind) through a proxy posting in `log_format`, and
    writes what the callback posted to OUTPUT_DIR/<prefix or format>-<n>.json."""
    Catcher.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Catcher)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = {
        "model_list": model_list(providers),
        "router_settings": {"num_retries": 0, "disable_cooldowns": True},
        "general_settings": PROXY_LIMITS,
        "litellm_settings": {"callbacks": ["generic_api"], "request_timeout": 10},
        "callback_settings": {"generic_api": {
            "callback_type": "generic_api", "endpoint": "os.environ/GENERIC_LOGGER_ENDPOINT", "headers": {},
            "log_format": log_format}},
    }
    env = {"GENERIC_LOGGER_ENDPOINT": f"http://127.0.0.1:{server.server_address[1]}/api/v1/outcomes?format=litellm",
           "GENERIC_LOGGER_HEADERS": "Authorization=Bearer capture-token"}
    with run_litellm(config, env) as base:
        expected = (calls or every_kind)(base, f"Say hello. {PROMPT_CANARY}")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and sum(count(b) for _, _, b in Catcher.bodies) < expected:
            time.sleep(0.2)
        time.sleep(1.5)
    server.shutdown()
    for number, (content_type, auth, body) in enumerate(Catcher.bodies):
        path = os.path.join(out_dir, f"{prefix or log_format}-{number}.json")
        with open(path, "wb") as f:
            f.write(body)
        print(f"  {path}: {len(body)} bytes, {count(body)} payloads, {content_type}, auth={auth is not None}")


def every_kind(base, prompt):
    """One call of each kind; returns how many payloads the callback posts for them."""
    for model, stream in [("chat-ok", False), ("chat-ok", True), ("chat-fail", False), ("chat-limited", False),
                          ("chat-fail", True), ("chat-slow", False)]:
        status, _ = chat(base, model, prompt, stream=stream)
        print(f"{model} stream={stream} -> {status}")
    # Two at once through the deployment that allows one in flight: LiteLLM refuses one itself.
    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(lambda _: chat(base, "chat-capped", prompt)[0], range(2)))
    print(f"chat-capped twice at once -> {statuses}")
    # Refused by the proxy itself: a wrong key, a model it does not serve.
    print(f"wrong key -> {chat(base, 'chat-ok', prompt, key='sk-wrong')[0]}")
    print(f"unknown model -> {chat(base, 'chat-nowhere', prompt)[0]}")
    return 10


def up_to_the_budget(base, prompt):
    """Calls through `chat-budget` until LiteLLM refuses one over the budget; returns how many payloads that makes."""
    passed = spend_the_budget(base, prompt)
    print(f"budget: {passed} call(s) passed, then refused")
    return passed + 1


def count(body):
    text = body.decode()
    if text.lstrip().startswith("["):
        return len(json.loads(text))
    return len([line for line in text.split("\n") if line.strip()])


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    with fake_openai_providers(f"Hello there! {ANSWER_CANARY}") as providers:
        for what in sys.argv[2:] or ("json_array", "ndjson", "single", "budget"):
            if what == "budget":
                capture("single", providers, out_dir, up_to_the_budget, prefix="budget")
            else:
                capture(what, providers, out_dir)


if __name__ == "__main__":
    main()
