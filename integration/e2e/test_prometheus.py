"""A real Prometheus scrapes the demo exporter; its query API sees the score and the latency quantiles."""
import json
import os
import shutil
import subprocess
import tempfile
import urllib.parse

import pytest

from harness import free_port, http_get, run_exporter, wait_until


def query(base, expr):
    status, _, body = http_get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    assert status == 200, body
    return json.loads(body)["data"]["result"]


def test_prometheus_scrapes_score_and_histogram_quantile():
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.fail("prometheus is not installed (apt-get install prometheus)")
    with run_exporter("--demo", "--aggregation.interval", "1s") as exporter, tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "scrape_configs:\n  - job_name: provider-health-exporter\n"
                f"    static_configs:\n      - targets: ['127.0.0.1:{exporter.port}']\n")
        port = free_port()
        log = open(os.path.join(tmp, "prometheus.log"), "w")
        proc = subprocess.Popen(
            [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp}/data",
             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: http_get(base + "/-/ready")[0] == 200, 30, what="prometheus ready")
            scores = wait_until(lambda: query(base, "provider_health_score"), 30, what="provider_health_score in Prometheus")
            assert {r["metric"]["provider"] for r in scores} >= {"demo-healthy", "demo-down"}
            healthy = [float(r["value"][1]) for r in scores if r["metric"]["provider"] == "demo-healthy"]
            assert healthy and healthy[0] > 0.9
            expr = "histogram_quantile(0.95, sum by (le, provider) (rate(provider_response_time_seconds_bucket[10s])))"
            def slow_p95():
                return [float(r["value"][1]) for r in query(base, expr)
                        if r["metric"]["provider"] == "demo-slow" and r["value"][1] != "NaN"]
            slow = wait_until(slow_p95, 30, what="p95 of demo-slow from the histogram")
            # The slow demo provider answers in about 1.5 s: its p95 falls in the (1, 2] bucket.
            assert 1.0 < slow[0] <= 2.0, slow
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            log.close()
