"""A Jaeger collector's `POST /api/traces` (Thrift binary `Batch`), decoded by the ecosystem's code.

    interop-tests/.venv/jaeger-client/bin/python -B jaeger_thrift_http_sink.py PORT

Decoder: Apache `thrift` (the Python package, `TBinaryProtocol`) reading into the types generated from
jaeger-idl that ship inside `jaeger_client.thrift_gen.jaeger` (jaeger-client 4.8.0); every struct's
generated `validate()` checks its required fields. Answers 202, as the Jaeger collector does.

One line per span: {"span": S, "request": N, "content_type": "..."} with S =
  trace_id (32 hex), trace_id_high, trace_id_low, span_id, parent_span_id (16 hex each, the signed i64
  read as big-endian bytes), operation_name, flags, start_us, duration_us,
  tags [{key, type: STRING|DOUBLE|BOOL|LONG|BINARY, value}] (BINARY: base64),
  logs [{timestamp_us, fields: [tag]}], references [{ref_type: CHILD_OF|FOLLOWS_FROM, trace_id, span_id}],
  process {service_name, tags}, problems [text]: what the decoder saw wrong (a tag whose value field
  does not match its type, trailing bytes after the Batch); empty when all is well.
"""

import base64
import sys

sys.dont_write_bytecode = True
from jaeger_client.thrift_gen.jaeger import ttypes  # noqa: E402
from sink_common import emit, hex_i64, serve_http  # noqa: E402
from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import TTransport  # noqa: E402

VALUE_FIELD = {
    ttypes.TagType.STRING: "vStr",
    ttypes.TagType.DOUBLE: "vDouble",
    ttypes.TagType.BOOL: "vBool",
    ttypes.TagType.LONG: "vLong",
    ttypes.TagType.BINARY: "vBinary",
}


def tag(t, problems):
    t.validate()
    field = VALUE_FIELD.get(t.vType)
    type_name = ttypes.TagType._VALUES_TO_NAMES.get(t.vType, f"unknown({t.vType})")
    if field is None:
        problems.append(f"tag {t.key!r}: unknown vType {t.vType}")
        return {"key": t.key, "type": type_name, "value": None}
    value = getattr(t, field)
    if value is None:
        problems.append(f"tag {t.key!r}: vType {type_name} but {field} not set")
    others = [f for f in VALUE_FIELD.values() if f != field and getattr(t, f) is not None]
    if others:
        problems.append(f"tag {t.key!r}: vType {type_name} but also {others} set")
    if isinstance(value, bytes):
        value = base64.b64encode(value).decode()
    return {"key": t.key, "type": type_name, "value": value}


def span(s, process, problems):
    s.validate()
    for ref in s.references or []:
        ref.validate()
    for log in s.logs or []:
        log.validate()
    return {
        "trace_id": hex_i64(s.traceIdHigh) + hex_i64(s.traceIdLow),
        "trace_id_high": hex_i64(s.traceIdHigh),
        "trace_id_low": hex_i64(s.traceIdLow),
        "span_id": hex_i64(s.spanId),
        "parent_span_id": hex_i64(s.parentSpanId),
        "operation_name": s.operationName,
        "flags": s.flags,
        "start_us": s.startTime,
        "duration_us": s.duration,
        "tags": [tag(t, problems) for t in s.tags or []],
        "logs": [
            {"timestamp_us": log.timestamp, "fields": [tag(f, problems) for f in log.fields]}
            for log in s.logs or []
        ],
        "references": [
            {
                "ref_type": ttypes.SpanRefType._VALUES_TO_NAMES.get(r.refType, f"unknown({r.refType})"),
                "trace_id": hex_i64(r.traceIdHigh) + hex_i64(r.traceIdLow),
                "span_id": hex_i64(r.spanId),
            }
            for r in s.references or []
        ],
        "process": process,
        "problems": problems,
    }


def post_traces(handler, body, request_no):
    transport = TTransport.TMemoryBuffer(body)
    batch = ttypes.Batch()
    batch.read(TBinaryProtocol.TBinaryProtocol(transport))
    batch.validate()
    batch.process.validate()
    batch_problems = []
    left = len(body) - transport._buffer.tell()
    if left:
        batch_problems.append(f"{left} bytes left after the Batch")
    process = {
        "service_name": batch.process.serviceName,
        "tags": [tag(t, batch_problems) for t in batch.process.tags or []],
    }
    content_type = handler.headers.get("Content-Type")
    for s in batch.spans:
        emit({"span": span(s, process, list(batch_problems)), "request": request_no, "content_type": content_type})
    return 202, None, b""


if __name__ == "__main__":
    serve_http({"/api/traces": post_traces})
