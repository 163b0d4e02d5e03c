"""LiteLLM's own logging callback feeds the exporter: a real LiteLLM proxy in front of fake OpenAI providers, its
`generic_api` callback pointed at POST /api/v1/outcomes?format=litellm as the README shows."""
import glob
import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import metric_value, run_exporter, wait_until
from litellm_proxy import chat, fake_openai_providers, model_list, run_litellm, spend_the_budget

TOKEN = "litellm-ingest-token"
PROMPT_CANARY = "CANARY-PROMPT-5d21e0"
ANSWER_CANARY = "CANARY-ANSWER-93ac7b"


def exporter_config(providers, directory):
    """The three fake providers as configured providers, each known by its LiteLLM model group (alias); `fake-ok`
    also by `chat-budget`, its deployment behind a budget of LiteLLM's router."""
    path = os.path.join(directory, "config.yml")
    lines = ["providers:"]
    for name in ("ok", "fail", "limited"):
        aliases = "chat-ok, chat-budget" if name == "ok" else f"chat-{name}"
        lines += [f"  - name: fake-{name}", "    kind: openai", f"    base_url: {providers.base_url(name)}",
                  "    api_key_env: FAKE_KEY", f"    aliases: [{aliases}]"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def litellm_config(log_format):
    """The README's config.yaml: the callback, and its batch format."""
    return {
        "litellm_settings": {"callbacks": ["generic_api"]},
        "callback_settings": {"generic_api": {
            "callback_type": "generic_api", "endpoint": "os.environ/GENERIC_LOGGER_ENDPOINT", "headers": {},
            "log_format": log_format}},
        "router_settings": {"num_retries": 0, "disable_cooldowns": True},
    }


FAILURE_REASONS = ["timeout", "connect", "dns", "tls", "auth", "rate_limited", "http_4xx", "http_5xx", "bad_response",
                   "model_missing", "proxy"]


def refusals(exporter):
    return metric_value(exporter.metrics(), "provider_health_exporter_outcomes_dropped_total", format="litellm",
                        reason="gateway_refusal") or 0


def traffic(exporter, provider, reason=None):
    text = exporter.metrics()
    if reason is None:
        return metric_value(text, "provider_results_total", provider=provider, source="traffic") or 0
    return metric_value(text, "provider_result_failures_total", provider=provider, source="traffic",
                        reason=reason) or 0


@pytest.mark.parametrize("log_format", ["json_array", "ndjson"])
def test_a_hundred_calls_through_a_real_litellm_proxy(log_format):
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="litellm-e2e-")
    token_path = os.path.join(workdir, "token")
    with open(token_path, "w") as f:
        f.write(TOKEN + "\n")
    history = os.path.join(workdir, "history.db")
    with fake_openai_providers(f"Hello! {ANSWER_CANARY}") as providers, \
            run_exporter("--config.file", exporter_config(providers, workdir), "--aggregation.interval", "1s",
                         "--history.path", history, "--web.ingest-token-file", token_path,
                         "--log.level", "debug", ready=False, env={"FAKE_KEY": "sk-fake"}) as exporter:
        config = litellm_config(log_format)
        config["model_list"] = model_list(providers)
        env = {"GENERIC_LOGGER_ENDPOINT": f"{exporter.base}/api/v1/outcomes?format=litellm",
               "GENERIC_LOGGER_HEADERS": f"Authorization=Bearer {TOKEN}"}
        with run_litellm(config, env, workdir) as base:
            # LiteLLM's own budget: the calls that spend it reach the provider, the one it then refuses does not.
            passed = spend_the_budget(base, f"Hi {PROMPT_CANARY}")
            # Each of their payloads counts once, as traffic or as a refusal: the sum says all have arrived.
            wait_until(lambda: traffic(exporter, "fake-ok") + refusals(exporter) >= passed + 1, 15,
                       what="the budget's calls", log=exporter.log)
            assert traffic(exporter, "fake-ok") == passed and refusals(exporter) == 1
            before = {name: traffic(exporter, f"fake-{name}") for name in ("ok", "fail", "limited")}
            models = ["chat-fail"] * 30 + ["chat-limited"] * 10 + ["chat-ok"] * 60
            with ThreadPoolExecutor(4) as pool:
                statuses = list(pool.map(
                    lambda item: chat(base, item[1], f"Hi {PROMPT_CANARY}", stream=item[0] % 2 == 0)[0],
                    enumerate(models)))
            answers = dict(zip(("fail", "limited", "ok"), (statuses[:30], statuses[30:40], statuses[40:])))
            assert set(answers["fail"]) == {500} and set(answers["limited"]) == {429}, statuses
            # The fake's own loopback server can, rarely, drop a connection under the load of four clients: LiteLLM
            # then answers 500 for a chat-ok call, and logs it as that provider's failure (which is what it was).
            ok_failures = len(answers["ok"]) - answers["ok"].count(200)
            assert ok_failures <= 2, statuses
            # A call the proxy itself refuses (a wrong key) reaches no provider and is not counted against one.
            assert chat(base, "chat-ok", f"Hi {PROMPT_CANARY}", key="sk-wrong")[0] in (400, 401)

            def counted():
                return sum(traffic(exporter, f"fake-{name}") - before[name] for name in ("ok", "fail", "limited"))
            wait_until(lambda: counted() >= 100, 30, what="100 traffic results", log=exporter.log)
            time.sleep(2.5)  # the flush after the last call, and a cycle: nothing more may arrive
            assert counted() == 100
            assert traffic(exporter, "fake-ok") - before["ok"] == 60
            assert traffic(exporter, "fake-fail", "http_5xx") == 30
            assert traffic(exporter, "fake-limited", "rate_limited") == 10
            assert traffic(exporter, "fake-ok", "auth") == 0
            assert sum(traffic(exporter, "fake-ok", reason) for reason in FAILURE_REASONS) == ok_failures
            text = exporter.metrics()
            assert metric_value(text, "provider_health_exporter_outcomes_received_total",
                                format="litellm") == 100 + passed
            assert refusals(exporter) == 2  # the budget's refusal and the wrong key

            outputs = [text, exporter.get("/api/v1/providers")[2].decode(), exporter.get("/")[2].decode(),
                       exporter.log()]
            for path in glob.glob(history + "*"):
                with open(path, "rb") as f:
                    outputs.append(f.read().decode("latin-1"))
            for output in outputs:
                assert PROMPT_CANARY not in output and ANSWER_CANARY not in output
    print(f"{log_format}: {time.monotonic() - started:.1f} s")
