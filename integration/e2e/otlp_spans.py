"""GenAI spans made by the real OpenTelemetry Python SDK, and their OTLP encodings (protobuf and JSON).

Used by test_otlp.py and, run as a script, to write the fixtures of Tests/OutcomeIngestTests/testdata:
    python3 integration/e2e/otlp_spans.py Tests/OutcomeIngestTests/testdata
"""
import base64
import json
import sys

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

# Payload content a GenAI span carries: it must never come out of the exporter anywhere.
CANARY_PROMPT = "CANARY-PROMPT-4b1d9e"
CANARY_RESPONSE = "CANARY-RESPONSE-c07a52"
CANARY_USER = "canary-user-58f3"
CANARY_IP = "203.0.113.251"
CANARIES = (CANARY_PROMPT, CANARY_RESPONSE, CANARY_USER, CANARY_IP)


def payload_attributes():
    """What instrumentations record of the conversation (opt-in content capture, older prompt attributes, ids)."""
    return {
        "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": CANARY_PROMPT}]}]),
        "gen_ai.output.messages": json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": CANARY_RESPONSE}]}]),
        "gen_ai.prompt.0.content": CANARY_PROMPT,
        "gen_ai.completion.0.content": CANARY_RESPONSE,
        "user.id": CANARY_USER,
        "client.address": CANARY_IP,
    }


def genai_span(tracer, *, provider, model, start_ns, duration_ns, operation="chat", response_model=None,
               error_type=None, http_status=None, server=("api.openai.com", 443), legacy_system=False, ttft=None):
    """One GenAI client span as the semantic conventions describe it, with prompt and response content."""
    attributes = {"gen_ai.operation.name": operation, "gen_ai.request.model": model, **payload_attributes()}
    if provider is not None:
        attributes["gen_ai.system" if legacy_system else "gen_ai.provider.name"] = provider
    if response_model:
        attributes["gen_ai.response.model"] = response_model
    if server:
        attributes["server.address"] = server[0]
        if server[1] is not None:
            attributes["server.port"] = server[1]
    if error_type:
        attributes["error.type"] = error_type
    if http_status is not None:
        attributes["http.response.status_code"] = http_status
    if ttft is not None:
        attributes["gen_ai.response.time_to_first_chunk"] = ttft
    span = tracer.start_span(f"{operation} {model}", kind=SpanKind.CLIENT, attributes=attributes, start_time=start_ns)
    span.add_event("gen_ai.content.prompt", {"gen_ai.prompt": CANARY_PROMPT})
    span.add_event("gen_ai.content.completion", {"gen_ai.completion": CANARY_RESPONSE})
    if error_type:
        span.set_status(Status(StatusCode.ERROR, f"{error_type}: request for {CANARY_USER} failed: {CANARY_PROMPT}"))
    span.end(end_time=start_ns + duration_ns)


def plain_span(tracer, start_ns):
    """A span with no GenAI attributes: an HTTP handler of the same service."""
    span = tracer.start_span("GET /chat", kind=SpanKind.SERVER, start_time=start_ns, attributes={
        "http.request.method": "GET", "url.path": "/chat", "client.address": CANARY_IP, "user.id": CANARY_USER,
        "http.response.status_code": 500})
    span.end(end_time=start_ns + 2_000_000)


def recording_provider(service="gateway"):
    """A tracer provider whose finished spans are kept in memory, for encoding them ourselves."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service, "host.name": "gw-1"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return provider, memory


def protobuf_body(spans):
    """The ExportTraceServiceRequest bytes the SDK's OTLP/HTTP exporter sends for these spans."""
    return encode_spans(spans).SerializeToString()


def _hex_ids(value):
    """protobuf's JSON mapping writes bytes in base64; OTLP JSON writes trace and span ids in hex."""
    if isinstance(value, dict):
        return {key: (base64.b64decode(item).hex() if key in ("traceId", "spanId", "parentSpanId") else _hex_ids(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_hex_ids(item) for item in value]
    return value


def json_body(spans):
    """The OTLP JSON encoding of the same request, as the Collector's otlphttp exporter with encoding: json sends
    it: protobuf's JSON mapping (lowerCamelCase, 64-bit integers as strings) with enums as integers, ids in hex."""
    message = MessageToDict(encode_spans(spans), use_integers_for_enums=True)
    return json.dumps(_hex_ids(message)).encode()


FIXTURE_START_NS = 1_764_633_600_000_000_000  # 2025-12-02T00:00:00Z


def fixture_spans():
    """The unit tests' spans: every mapping rule once, two instrumentation scopes, one non-GenAI span."""
    provider, memory = recording_provider()
    openai = provider.get_tracer("opentelemetry.instrumentation.openai_v2", "2.1b0")
    other = provider.get_tracer("opentelemetry.instrumentation.anthropic", "0.40.0")
    t = FIXTURE_START_NS
    # 0: a streamed chat that succeeded, with time to first chunk.
    genai_span(openai, provider="openai", model="gpt-4o-mini", response_model="gpt-4o-mini-2024-07-18",
               start_ns=t, duration_ns=1_250_000_000, ttft=0.25)
    # 1: an older instrumentation (gen_ai.system), rate limited, with the HTTP status attribute.
    genai_span(other, provider="anthropic", model="claude-sonnet-4", start_ns=t + 1_000_000, duration_ns=300_000_000,
               error_type="RateLimitError", http_status=429, server=("api.anthropic.com", None), legacy_system=True)
    # 2: embeddings failing with the status code as error.type.
    genai_span(openai, provider="openai", model="text-embedding-3-small", operation="embeddings",
               start_ns=t + 2_000_000, duration_ns=40_000_000, error_type="500")
    # 3: a timeout.
    genai_span(openai, provider="openai", model="gpt-4o", start_ns=t + 3_000_000, duration_ns=30_000_000_000,
               error_type="timeout")
    # 4: not a GenAI span.
    plain_span(openai, t + 4_000_000)
    # 5: a GenAI span without a model: rejected.
    span = openai.start_span("chat", kind=SpanKind.CLIENT, start_time=t + 5_000_000, attributes={
        "gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat", "gen_ai.input.messages": CANARY_PROMPT})
    span.end(end_time=t + 6_000_000)
    # 6: an agent invocation (counted as chat), provider from gen_ai.provider.name, no server attributes.
    genai_span(other, provider="gcp.gemini", model="gemini-2.5-flash", operation="invoke_agent",
               start_ns=t + 7_000_000, duration_ns=2_000_000_000, server=None)
    # 7: generate_content on an endpoint with its port.
    genai_span(other, provider="gcp.vertex_ai", model="gemini-2.5-pro", operation="generate_content",
               start_ns=t + 8_000_000, duration_ns=500_000_000, server=("europe-west4-aiplatform.googleapis.com", 443))
    return memory.get_finished_spans()


if __name__ == "__main__":
    out = sys.argv[1]
    spans = fixture_spans()
    with open(f"{out}/otlp-traces.pb", "wb") as f:
        f.write(protobuf_body(spans))
    with open(f"{out}/otlp-traces.json", "wb") as f:
        f.write(json_body(spans))
