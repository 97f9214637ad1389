"""OpenTelemetry SDK 1.21 + opentelemetry-exporter-jaeger-thrift 1.21 → Jaeger agent UDP or collector HTTP.

    python otel_jaeger_emit.py udp-compact HOST:PORT RUN_ID         agent mode: Thrift compact emitBatch
    python otel_jaeger_emit.py http-thrift http://HOST:PORT RUN_ID  collector mode: one Thrift binary
                                                                     Batch POSTed to TARGET/api/traces
The trace is otel_trace's.
"""

from importlib.metadata import version

from emit_common import base_url, describe, host_port, parse_args
from opentelemetry.exporter.jaeger.thrift import JaegerExporter

import otel_trace

mode, target, run_id, _ = parse_args(["udp-compact", "http-thrift"])
service = f"interop-py-otel-jaeger-{mode}-{run_id}"
if mode == "udp-compact":
    host, port = host_port(target)
    exporter = JaegerExporter(agent_host_name=host, agent_port=port)
    client, protocol = "agent, UDP", "Thrift compact Agent.emitBatch in one UDP datagram"
else:
    exporter = JaegerExporter(collector_endpoint=f"{base_url(target)}/api/traces")
    client, protocol = "collector, HTTP", "Thrift binary Batch POSTed to /api/traces"
spans = otel_trace.emit(service, run_id, exporter)
describe(
    client=f"Python opentelemetry-exporter-jaeger-thrift ({client})",
    library="opentelemetry-exporter-jaeger-thrift",
    version=version("opentelemetry-exporter-jaeger-thrift"),
    protocol=protocol,
    **otel_trace.describe_fields(service, run_id, spans, "jaeger121"),
)
