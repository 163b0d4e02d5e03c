"""A real Prometheus scrapes the demo exporter; its query API sees the score and the latency quantiles."""
import tempfile

from harness import prometheus_query, run_exporter, run_prometheus, wait_until


def test_prometheus_scrapes_score_and_histogram_quantile():
    with run_exporter("--demo", "--aggregation.interval", "1s") as exporter, tempfile.TemporaryDirectory() as tmp, \
            run_prometheus("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                           "scrape_configs:\n  - job_name: provider-health-exporter\n"
                           f"    static_configs:\n      - targets: ['127.0.0.1:{exporter.port}']\n", tmp) as base:
        scores = wait_until(lambda: prometheus_query(base, "provider_health_score"), 30,
                            what="provider_health_score in Prometheus")
        assert {r["metric"]["provider"] for r in scores} >= {"demo-healthy", "demo-down"}
        healthy = [float(r["value"][1]) for r in scores if r["metric"]["provider"] == "demo-healthy"]
        assert healthy and healthy[0] > 0.9
        expr = "histogram_quantile(0.95, sum by (le, provider) (rate(provider_response_time_seconds_bucket[10s])))"

        def slow_p95():
            return [float(r["value"][1]) for r in prometheus_query(base, expr)
                    if r["metric"]["provider"] == "demo-slow" and r["value"][1] != "NaN"]
        slow = wait_until(slow_p95, 30, what="p95 of demo-slow from the histogram")
        # The slow demo provider answers in about 1.5 s: its p95 falls in the (1, 2] bucket.
        assert 1.0 < slow[0] <= 2.0, slow
