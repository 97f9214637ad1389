"""OpenTelemetry SDK 1.45 with its OTLP exporters → OTLP gRPC or OTLP/HTTP protobuf.

    python otel_otlp_emit.py grpc HOST:PORT RUN_ID
    python otel_otlp_emit.py http-protobuf http://HOST:PORT RUN_ID     (POSTs to TARGET/v1/traces)
    python otel_otlp_emit.py grpc-gzip | http-protobuf-gzip ...         the same, gzip-compressed

The trace is otel_trace's.
"""

from importlib.metadata import version

from emit_common import base_url, describe, host_port, parse_args

import otel_trace

mode, target, run_id, _ = parse_args(["grpc", "http-protobuf", "grpc-gzip", "http-protobuf-gzip"])
gzip = mode.endswith("-gzip")
if mode.startswith("grpc"):
    from grpc import Compression
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    host, port = host_port(target)
    exporter = OTLPSpanExporter(endpoint=f"http://{host}:{port}", insecure=True,
                                compression=Compression.Gzip if gzip else Compression.NoCompression)
    library = "opentelemetry-exporter-otlp-proto-grpc"
    protocol = "OTLP gRPC TraceService/Export" + (", grpc-encoding gzip" if gzip else "")
else:
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    exporter = OTLPSpanExporter(endpoint=f"{base_url(target)}/v1/traces",
                                compression=Compression.Gzip if gzip else Compression.NoCompression)
    library = "opentelemetry-exporter-otlp-proto-http"
    protocol = "OTLP/HTTP protobuf POST /v1/traces" + (", Content-Encoding gzip" if gzip else "")

service = f"interop-py-otel-{mode}-{run_id}"
spans = otel_trace.emit(service, run_id, exporter)
describe(
    client=f"Python {library}",
    library=library,
    version=version(library),
    protocol=protocol,
    **otel_trace.describe_fields(service, run_id, spans, "otlp"),
)
