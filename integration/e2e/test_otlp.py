"""OpenTelemetry GenAI spans from the real Python SDK, over OTLP/HTTP to /v1/traces: counted exactly, in protobuf and
in JSON; other spans ignored and counted; bad bodies refused and not counted; prompts and responses nowhere."""
import glob
import gzip
import json
import os
import random
import tempfile
import time

from google.protobuf.json_format import Parse
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from harness import metric_value, run_exporter, wait_until
from otlp_spans import CANARIES, genai_span, json_body, plain_span, protobuf_body, recording_provider

TOKEN = "otlp-ingest-token"
PROVIDER = "demo-healthy"
SPANS = 1_000
# The failures, by error.type (as instrumentations set it) and the reason each must be counted under.
FAILURES = {"RateLimitError": ("rate_limited", 100), "500": ("http_5xx", 60), "timeout": ("timeout", 40)}
PLAIN_SPANS = 50


def token_file():
    f = tempfile.NamedTemporaryFile("w", prefix="ingest-token-", delete=False)
    f.write(TOKEN + "\n")
    f.close()
    return f.name


def traffic_total(text):
    return metric_value(text, "provider_results_total", provider=PROVIDER, source="traffic") or 0


def ignored(text):
    return metric_value(text, "provider_health_exporter_outcomes_dropped_total", format="otlp", reason="not_genai")


def first_token_count(text):
    return metric_value(text, "provider_time_to_first_token_seconds_count", provider=PROVIDER, source="traffic",
                        operation="chat") or 0


def failures(text, reason):
    return metric_value(text, "provider_result_failures_total", provider=PROVIDER, source="traffic", reason=reason) or 0


def export_through_the_sdk(exporter, monkeypatch):
    """1,000 GenAI spans (20 % failed) and 50 plain ones, exported by the SDK's own OTLP/HTTP exporter configured
    with the README's environment variables; returns the finished spans for the JSON round."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{exporter.base}/v1/traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", f"Authorization=Bearer%20{TOKEN}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip")
    provider, memory = recording_provider()
    otlp = OTLPSpanExporter()
    provider.add_span_processor(BatchSpanProcessor(otlp, max_export_batch_size=256))
    tracer = provider.get_tracer("opentelemetry.instrumentation.openai_v2")
    rng = random.Random(13)
    error_types = [kind for kind, (_, count) in FAILURES.items() for _ in range(count)]
    error_types += [None] * (SPANS - len(error_types))
    rng.shuffle(error_types)
    now = time.time_ns()
    for i, error_type in enumerate(error_types):
        start = now - 60_000_000_000 + i * 1_000_000
        genai_span(tracer, provider=PROVIDER, model=("gpt-4o", "gpt-4o-mini")[i % 2], start_ns=start,
                   duration_ns=rng.randint(50, 900) * 1_000_000, error_type=error_type,
                   ttft=0.08 if i % 3 == 0 else None, server=("127.0.0.1", 1))
        if i % (SPANS // PLAIN_SPANS) == 0:
            plain_span(tracer, start)
    assert provider.force_flush(30_000)
    provider.shutdown()
    return memory.get_finished_spans()


def test_sdk_spans_are_counted_exactly_in_protobuf_and_json_and_leak_nothing(monkeypatch):
    workdir = tempfile.mkdtemp(prefix="otlp-e2e-")
    history = os.path.join(workdir, "history.sqlite")
    with run_exporter("--demo", "--aggregation.interval", "1s", "--history.path", history,
                      "--web.ingest-token-file", token_file(), "--log.level", "debug") as exporter:
        before = exporter.metrics()
        spans = export_through_the_sdk(exporter, monkeypatch)
        assert sum(1 for s in spans if "gen_ai.operation.name" in s.attributes) == SPANS

        wait_until(lambda: traffic_total(exporter.metrics()) == traffic_total(before) + SPANS, 15,
                   what="the SDK's protobuf export counted")
        text = exporter.metrics()
        for reason, count in FAILURES.values():
            assert failures(text, reason) == failures(before, reason) + count, reason
        assert ignored(text) == PLAIN_SPANS
        assert metric_value(text, "provider_health_exporter_outcomes_received_total", format="otlp") == SPANS
        assert first_token_count(text) == len(range(0, SPANS, 3))

        # The same spans once more, as the Collector's otlphttp exporter with encoding: json sends them.
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
        status, answer_headers, body = exporter.post("/v1/traces", json_body(spans), headers)
        assert status == 200, body
        assert answer_headers.get("content-type") == "application/json"
        assert json.loads(body) == {}
        wait_until(lambda: traffic_total(exporter.metrics()) == traffic_total(before) + 2 * SPANS, 15,
                   what="the JSON export counted")
        text = exporter.metrics()
        for reason, count in FAILURES.values():
            assert failures(text, reason) == failures(before, reason) + 2 * count, reason
        assert ignored(text) == 2 * PLAIN_SPANS
        assert first_token_count(text) == 2 * len(range(0, SPANS, 3))

        # A GenAI span the exporter cannot use: partial success, in the request's encoding.
        provider, memory = recording_provider()
        tracer = provider.get_tracer("t")
        genai_span(tracer, provider=PROVIDER, model="gpt-4o", start_ns=time.time_ns(), duration_ns=1_000_000,
                   server=("127.0.0.1", 1))
        span = tracer.start_span("chat", start_time=time.time_ns(), attributes={"gen_ai.provider.name": PROVIDER})
        span.end()
        genai_span(tracer, provider="nobody-configured", model="gpt-4o", start_ns=time.time_ns(), duration_ns=1_000_000)
        status, _, body = exporter.post("/v1/traces", protobuf_body(memory.get_finished_spans()),
                                        {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {TOKEN}"})
        assert status == 200, body
        answer = ExportTraceServiceResponse.FromString(body)
        assert answer.partial_success.rejected_spans == 2
        assert "gen_ai.request.model" in answer.partial_success.error_message
        assert 'unknown provider "nobody-configured"' in answer.partial_success.error_message
        status, _, body = exporter.post("/v1/traces", json_body(memory.get_finished_spans()), headers)
        assert status == 200, body
        answer = Parse(body, ExportTraceServiceResponse())
        assert answer.partial_success.rejected_spans == 2, body
        wait_until(lambda: traffic_total(exporter.metrics()) == traffic_total(before) + 2 * SPANS + 2, 10,
                   what="the accepted span of the partial success")

        # Malformed bodies: 400 with a reason naming the byte, in the request's encoding; nothing counted.
        counted = traffic_total(exporter.metrics())
        good = protobuf_body(spans[:20])
        status, _, body = exporter.post("/v1/traces", good[:-7],
                                        {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {TOKEN}"})
        assert status == 400, body
        rpc_status = status_pb2.Status.FromString(body)
        assert rpc_status.code == 3 and "malformed protobuf at byte" in rpc_status.message, rpc_status
        status, _, body = exporter.post("/v1/traces", json_body(spans[:20])[:-3], headers)
        assert status == 400 and "malformed JSON at byte" in json.loads(body)["message"], body
        status, _, body = exporter.post("/v1/traces", gzip.compress(b"\0" * 20_000_000),
                                        {**headers, "Content-Encoding": "gzip"})
        assert status == 413, body
        status, _, body = exporter.post("/v1/traces", good,
                                        {"Content-Type": "text/plain", "Authorization": f"Bearer {TOKEN}"})
        assert status == 415, body
        status, _, body = exporter.post("/v1/traces", good, {"Content-Type": "application/x-protobuf"})
        assert status == 401, body
        time.sleep(2.5)  # two cycles after the last refusal
        text = exporter.metrics()
        assert traffic_total(text) == counted
        assert metric_value(text, "provider_health_exporter_outcomes_rejected_total", reason="malformed") == 3
        assert metric_value(text, "provider_health_exporter_outcomes_rejected_total", reason="body_too_large") == 1

        # Prompts, responses, user ids and client addresses: nowhere.
        outputs = {"metrics": text, "log": exporter.log()}
        for path in ("/api/providers/status", f"/api/providers/status/{PROVIDER}", "/api/providers/history",
                     "/api/providers/export/csv", "/", f"/providers/{PROVIDER}"):
            outputs[path] = exporter.get(path)[2].decode(errors="replace")
        assert "debug" in outputs["log"], "the log is not at debug level"
    for path in glob.glob(history + "*"):
        with open(path, "rb") as f:
            outputs[path] = f.read().decode("latin-1")
    assert any(p.startswith(history) for p in outputs), "no history file written"
    for where, content in outputs.items():
        for canary in CANARIES:
            assert canary not in content, f"{canary} found in {where}"
