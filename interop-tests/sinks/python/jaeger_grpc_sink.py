"""A Jaeger collector's gRPC `jaeger.api_v2.CollectorService/PostSpans`, decoded by the ecosystem's code.

    interop-tests/.venv/jaeger-grpc/bin/python -B jaeger_grpc_sink.py PORT

Server: `grpcio`. Decoder: the api_v2 types generated from jaeger-idl (model.proto, collector.proto)
that ship inside `opentelemetry-exporter-jaeger-proto-grpc` 1.21.0 (`...jaeger.proto.grpc.gen`), on
Google's `protobuf` runtime. Those files come from an old protoc, which today's protobuf C/upb backend
refuses, so the pure-Python backend is selected (PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python, the
fix protobuf itself suggests). Answers an empty `PostSpansResponse`.

One line per span: {"span": S, "request": N} with S =
  trace_id (32 hex), span_id (16 hex), operation_name, flags, start_ns, duration_ns,
  tags [{key, type: STRING|BOOL|INT64|FLOAT64|BINARY, value}] (BINARY: base64),
  logs [{timestamp_ns, fields: [tag]}], references [{ref_type: CHILD_OF|FOLLOWS_FROM, trace_id, span_id}],
  process {service_name, tags} (the span's own process if it has one, else the batch's),
  own_process (bool), process_id, warnings, problems [text].
"""

import base64
import os
import sys
import threading
from concurrent import futures

sys.dont_write_bytecode = True
os.environ["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python"
import grpc  # noqa: E402
from opentelemetry.exporter.jaeger.proto.grpc.gen import (  # noqa: E402
    collector_pb2,
    collector_pb2_grpc,
    model_pb2,
)
from sink_common import emit, next_request, port_arg  # noqa: E402

VALUE_FIELD = {
    model_pb2.STRING: "v_str",
    model_pb2.BOOL: "v_bool",
    model_pb2.INT64: "v_int64",
    model_pb2.FLOAT64: "v_float64",
    model_pb2.BINARY: "v_binary",
}


def tag(kv, problems):
    field = VALUE_FIELD.get(kv.v_type)
    if field is None:
        problems.append(f"tag {kv.key!r}: unknown v_type {kv.v_type}")
        return {"key": kv.key, "type": f"unknown({kv.v_type})", "value": None}
    value = getattr(kv, field)
    # proto3 scalars have no presence: a value in another field than the type's is a problem.
    others = [f for f in VALUE_FIELD.values() if f != field and getattr(kv, f)]
    if others:
        problems.append(f"tag {kv.key!r}: v_type {model_pb2.ValueType.Name(kv.v_type)} but also {others} set")
    if isinstance(value, bytes):
        value = base64.b64encode(value).decode()
    return {"key": kv.key, "type": model_pb2.ValueType.Name(kv.v_type), "value": value}


def ns(ts):
    return ts.seconds * 1_000_000_000 + ts.nanos


def process_of(p, problems):
    return {"service_name": p.service_name, "tags": [tag(t, problems) for t in p.tags]}


def span(s, batch_process):
    problems = []
    if len(s.trace_id) != 16:
        problems.append(f"trace_id: {len(s.trace_id)} bytes, not 16")
    if len(s.span_id) != 8:
        problems.append(f"span_id: {len(s.span_id)} bytes, not 8")
    own = s.HasField("process")
    return {
        "trace_id": s.trace_id.hex(),
        "span_id": s.span_id.hex(),
        "operation_name": s.operation_name,
        "flags": s.flags,
        "start_ns": ns(s.start_time),
        "duration_ns": ns(s.duration),
        "tags": [tag(t, problems) for t in s.tags],
        "logs": [
            {"timestamp_ns": ns(log.timestamp), "fields": [tag(f, problems) for f in log.fields]}
            for log in s.logs
        ],
        "references": [
            {
                "ref_type": model_pb2.SpanRefType.Name(r.ref_type),
                "trace_id": r.trace_id.hex(),
                "span_id": r.span_id.hex(),
            }
            for r in s.references
        ],
        "process": process_of(s.process, problems) if own else batch_process,
        "own_process": own,
        "process_id": s.process_id,
        "warnings": list(s.warnings),
        "problems": problems,
    }


class Collector(collector_pb2_grpc.CollectorServiceServicer):
    def PostSpans(self, request, context):
        request_no = next_request()
        batch_process = process_of(request.batch.process, [])
        for s in request.batch.spans:
            emit({"span": span(s, batch_process), "request": request_no})
        return collector_pb2.PostSpansResponse()


if __name__ == "__main__":
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    collector_pb2_grpc.add_CollectorServiceServicer_to_server(Collector(), server)
    port = server.add_insecure_port(f"127.0.0.1:{port_arg()}")
    server.start()
    emit({"listening": f"127.0.0.1:{port}"})
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop(0)
