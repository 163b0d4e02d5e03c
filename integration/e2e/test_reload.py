"""SIGHUP reload: an added provider appears, a removed one leaves /metrics, unchanged counters keep counting."""
import os
import signal
import tempfile

from harness import fake_openai, metric_value, run_exporter, wait_until


def config_text(base, names):
    out = "global:\n  interval: 1s\n  timeout: 800ms\n  jitter: 10ms\nproviders:\n"
    for name in names:
        out += f"  - name: {name}\n    kind: openai\n    base_url: {base}\n    models: [gpt-test]\n"
    return out


def probes(exporter, provider):
    return metric_value(exporter.metrics(), "provider_probe_requests_total", provider=provider)


def test_sighup_adds_and_removes_providers_and_keeps_state():
    with fake_openai() as base, tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "config.yml")
        with open(path, "w") as f:
            f.write(config_text(base, ["stays", "leaves"]))
        with run_exporter("--config.file", path, "--aggregation.interval", "1s", "--history.path", ":memory:") as exporter:
            wait_until(lambda: (probes(exporter, "stays") or 0) >= 3, 15, what="a few probes of 'stays'")
            before = probes(exporter, "stays")
            assert probes(exporter, "leaves") is not None

            with open(path, "w") as f:
                f.write(config_text(base, ["stays", "arrives"]))
            exporter.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: probes(exporter, "arrives") is not None and probes(exporter, "leaves") is None, 10,
                       what="reloaded providers in /metrics")
            after = probes(exporter, "stays")
            assert after >= before, (before, after)
            assert metric_value(exporter.metrics(), "provider_health_exporter_config_last_reload_successful") == 1

            # A broken file keeps the previous configuration and reports the failure.
            with open(path, "w") as f:
                f.write("providers:\n  - name: x\n    kindd: openai\n")
            exporter.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: metric_value(exporter.metrics(), "provider_health_exporter_config_last_reload_successful") == 0,
                       10, what="reload failure reported")
            text = exporter.metrics()
            assert 'provider="arrives"' in text and 'provider="stays"' in text
            assert probes(exporter, "stays") >= after
