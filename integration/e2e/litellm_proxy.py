"""A real LiteLLM proxy on 127.0.0.1 for the LiteLLM ingest tests, and the fake OpenAI providers behind it.

LiteLLM comes from `scripts/install-deps.sh --test`, which installs `litellm[proxy]` into its own virtual
environment (LITELLM_VENV) so that its many pinned dependencies stay out of the test interpreter.
"""
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "chaos"))

from common import free_port, request, wait_until  # noqa: E402
from fakes import Answer, FakeProviders, openai_answer  # noqa: E402

LITELLM_VENV = os.environ.get(
    "LITELLM_VENV", os.path.join(os.path.expanduser("~"), ".cache", "provider-health-exporter", "litellm-venv"))

# LiteLLM settings that keep a test fast and on loopback: the bundled model price list instead of a download, no
# telemetry, and batches flushed every second (the callback's default is 5 s, or 512 payloads).
QUIET_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_TELEMETRY": "False",
    "LITELLM_DONT_SHOW_FEEDBACK_BOX": "True",
    "DISABLE_SCHEMA_UPDATE": "True",
    "DEFAULT_FLUSH_INTERVAL_SECONDS": "1",
    "NO_DOCS": "True",
}


# The proxy refuses to start without a master key; no database, so it is the only key.
MASTER_KEY = "sk-" + secrets.token_hex(32)


def litellm_bin():
    path = os.path.join(LITELLM_VENV, "bin", "litellm")
    if not os.access(path, os.X_OK):
        pytest.fail(f"litellm is not installed at {path}: run scripts/install-deps.sh --test (or set LITELLM_VENV)")
    return path


class ProviderBehaviour:
    """What each fake provider answers: `ok` succeeds (streamed when asked), `fail` answers 500, `limited` 429, and
    `slow` takes `slow_seconds` (for a gateway timeout). `content` is the assistant's answer."""
    wants_request = True

    def __init__(self, content, slow_seconds=3.0, first_token_delay=0.05):
        self.content = content
        self.slow_seconds = slow_seconds
        self.first_token_delay = first_token_delay

    def __call__(self, provider, path, number, req):
        if not path.endswith("/chat/completions"):
            return Answer(status=404, body=b'{"error": {"message": "not found"}}')
        stream = json.loads(req.body or b"{}").get("stream") is True
        if provider == "fail":
            return openai_answer(500, req.model)
        if provider == "limited":
            return openai_answer(429, req.model)
        delay = self.slow_seconds if provider == "slow" else 0.02
        return openai_answer(200, req.model, self.content, stream=stream, delay=delay,
                             first_token_delay=self.first_token_delay)


@contextmanager
def fake_openai_providers(content, **behaviour):
    """Fake OpenAI providers `ok`, `fail`, `limited` and `slow` on one loopback port (see ProviderBehaviour)."""
    providers = FakeProviders({name: ["gpt-4o-mini"] for name in ("ok", "fail", "limited", "slow")},
                              ProviderBehaviour(content, **behaviour))
    try:
        yield providers
    finally:
        providers.stop()


def model_list(providers):
    """One public model name per fake provider (LiteLLM routes by it), each deployment with its own api_base;
    `chat-capped`, the slow provider with a longer timeout: two calls to it at once meet LiteLLM's own limit when
    the proxy runs with `PROXY_LIMITS` (its refusal says `error_rate_limit_category: litellm_rate_limit`); and
    `chat-budget`, the `ok` provider behind a budget of LiteLLM's router (see `BUDGET_PARAMS`)."""
    entries = []
    for name in ("ok", "fail", "limited", "slow", "capped", "budget"):
        upstream = {"capped": "slow", "budget": "ok"}.get(name, name)
        params = {"model": "openai/gpt-4o-mini", "api_key": "sk-fake", "max_retries": 0,
                  "api_base": providers.base_url(upstream)}
        if name == "slow":
            params["timeout"] = 1
        if name == "budget":
            params.update(BUDGET_PARAMS)
        entries.append({"model_name": f"chat-{name}", "litellm_params": params})
    return entries


# A deployment budget, which LiteLLM's router keeps in memory (the proxy-wide `litellm_settings: max_budget` needs a
# database, and a deployment's `max_parallel_requests` refusal is not posted to the callback). Priced so that the
# first call spends more than the whole budget: from then on the router refuses every call to the deployment
# without calling the provider, and posts the refusal (`error_class: ValueError`, `normalized_error:
# 429_BUDGET_EXCEEDED`, no `error_code`, no `api_base`).
BUDGET_PARAMS = {"max_budget": 0.000001, "budget_duration": "1d",
                 "input_cost_per_token": 0.001, "output_cost_per_token": 0.001}


def spend_the_budget(base, prompt, attempts=20):
    """Calls `chat-budget` until LiteLLM refuses it over budget: the number of calls that got through first (the
    router adds a call's cost a moment after it answers). Fails if no call is refused."""
    passed = 0
    for _ in range(attempts):
        status, answer = chat(base, "chat-budget", prompt)
        if status == 429:
            assert b"budget" in answer, answer[:300]
            return passed
        assert status == 200, (status, answer[:300])
        passed += 1
        time.sleep(0.25)
    raise AssertionError(f"LiteLLM did not refuse chat-budget over its budget in {attempts} calls")


# The proxy's own limit that needs no database: one request in flight at a time, the rest refused with 429.
PROXY_LIMITS = {"global_max_parallel_requests": 1}


@contextmanager
def run_litellm(config, env, workdir=None):
    """`litellm --config` on a free loopback port; yields its base URL once it answers. Its log is in
    `<workdir>/litellm.log`."""
    workdir = workdir or tempfile.mkdtemp(prefix="litellm-")
    config_path = os.path.join(workdir, "config.yaml")
    with open(config_path, "w") as f:
        json.dump(config, f, indent=2)  # JSON is YAML
    port = free_port()
    log_path = os.path.join(workdir, "litellm.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([litellm_bin(), "--config", config_path, "--host", "127.0.0.1", "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
                                env={**os.environ, **QUIET_ENV, "LITELLM_MASTER_KEY": MASTER_KEY, **env})
    base = f"http://127.0.0.1:{port}"

    def read_log():
        with open(log_path, errors="replace") as f:
            return f.read()[-6000:]
    try:
        wait_until(lambda: proc.poll() is not None or request(base + "/health/liveliness")[0] == 200, 120,
                   what="litellm to listen", log=read_log)
        if proc.poll() is not None:
            raise AssertionError(f"litellm exited with {proc.returncode}:\n{read_log()}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def chat(base, model, prompt, stream=False, timeout=30, key=None):
    """One chat completion through the proxy (with the master key unless `key`): (status, body)."""
    body = json.dumps({"model": model, "stream": stream, "messages": [{"role": "user", "content": prompt}]}).encode()
    status, _, answer = request(base + "/v1/chat/completions", "POST", body,
                                {"Content-Type": "application/json", "Authorization": f"Bearer {key or MASTER_KEY}"},
                                timeout=timeout)
    return status, answer
