"""OpenTelemetry SDK 1.21 + opentelemetry-exporter-jaeger-thrift 1.21 (collector mode) → Jaeger HTTP.

    python otel_jaeger_emit.py http-thrift http://HOST:PORT RUN_ID

POSTs one Thrift binary Batch to TARGET/api/traces. The trace is otel_trace's.
"""

from importlib.metadata import version

from emit_common import base_url, describe, parse_args
from opentelemetry.exporter.jaeger.thrift import JaegerExporter

import otel_trace

_, target, run_id = parse_args(["http-thrift"])
service = f"interop-py-otel-jaeger-{run_id}"
spans = otel_trace.emit(service, run_id, JaegerExporter(collector_endpoint=f"{base_url(target)}/api/traces"))
describe(
    client="Python opentelemetry-exporter-jaeger-thrift (collector, HTTP)",
    library="opentelemetry-exporter-jaeger-thrift",
    version=version("opentelemetry-exporter-jaeger-thrift"),
    protocol="Thrift binary Batch POSTed to /api/traces",
    **otel_trace.describe_fields(service, run_id, spans, "jaeger121"),
)
