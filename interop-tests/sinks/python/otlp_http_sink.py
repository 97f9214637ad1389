"""An OTLP/HTTP traces endpoint (`POST /v1/traces`, protobuf or JSON), decoded by the ecosystem's code.

    interop-tests/.venv/otel-otlp/bin/python -B otlp_http_sink.py PORT

Decoder: `ExportTraceServiceRequest` from `opentelemetry-proto` 1.45 (the OpenTelemetry project's
generated types) on Google's `protobuf` runtime; `application/json` bodies with protobuf's
`json_format.Parse`, which refuses unknown fields; OTLP/JSON writes ids as hex where protobuf's JSON
mapping has base64, so `traceId`/`spanId`/`parentSpanId` are turned from hex into base64 first (the only
OTLP/JSON exception to the protobuf JSON mapping besides enum integers, which `Parse` reads itself). gzip/deflate bodies are unpacked first. Answers
200 with an empty `ExportTraceServiceResponse` in the request's encoding, as the Collector does.

One line per span: {"span": S, "request": N, "content_type": "...", "content_encoding": "..."} with S =
  resource {attributes, dropped_attributes_count}, scope {name, version, attributes}, trace_id, span_id,
  parent_span_id (hex), trace_state, flags, name, kind (SPAN_KIND_*), start_ns, end_ns,
  attributes [{key, type: string|bool|int|double|bytes|array|kvlist|empty, value}],
  events [{time_ns, name, attributes}], links [{trace_id, span_id, trace_state, attributes}],
  status {code: STATUS_CODE_*, message}, dropped counts.
"""

import base64
import json
import sys

sys.dont_write_bytecode = True
from google.protobuf import json_format  # noqa: E402
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: E402
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status  # noqa: E402
from sink_common import emit, serve_http  # noqa: E402


def any_value(v):
    which = v.WhichOneof("value")
    if which is None:
        return {"type": "empty", "value": None}
    if which == "string_value":
        return {"type": "string", "value": v.string_value}
    if which == "bool_value":
        return {"type": "bool", "value": v.bool_value}
    if which == "int_value":
        return {"type": "int", "value": v.int_value}
    if which == "double_value":
        return {"type": "double", "value": v.double_value}
    if which == "bytes_value":
        return {"type": "bytes", "value": base64.b64encode(v.bytes_value).decode()}
    if which == "array_value":
        return {"type": "array", "value": [any_value(x) for x in v.array_value.values]}
    return {"type": "kvlist", "value": attrs(v.kvlist_value.values)}


def attrs(kvs):
    return [{"key": kv.key, **any_value(kv.value)} for kv in kvs]


def span(rs, ss, s):
    return {
        "resource": {
            "attributes": attrs(rs.resource.attributes),
            "dropped_attributes_count": rs.resource.dropped_attributes_count,
        },
        "scope": {
            "name": ss.scope.name,
            "version": ss.scope.version,
            "attributes": attrs(ss.scope.attributes),
        },
        "trace_id": s.trace_id.hex(),
        "span_id": s.span_id.hex(),
        "parent_span_id": s.parent_span_id.hex(),
        "trace_state": s.trace_state,
        "flags": s.flags,
        "name": s.name,
        "kind": Span.SpanKind.Name(s.kind),
        "start_ns": s.start_time_unix_nano,
        "end_ns": s.end_time_unix_nano,
        "attributes": attrs(s.attributes),
        "dropped_attributes_count": s.dropped_attributes_count,
        "events": [
            {"time_ns": e.time_unix_nano, "name": e.name, "attributes": attrs(e.attributes)}
            for e in s.events
        ],
        "dropped_events_count": s.dropped_events_count,
        "links": [
            {
                "trace_id": link.trace_id.hex(),
                "span_id": link.span_id.hex(),
                "trace_state": link.trace_state,
                "attributes": attrs(link.attributes),
            }
            for link in s.links
        ],
        "dropped_links_count": s.dropped_links_count,
        "status": {"code": Status.StatusCode.Name(s.status.code), "message": s.status.message},
    }


ID_KEYS = {"traceId", "spanId", "parentSpanId"}


def hex_ids_to_base64(node):
    """OTLP/JSON ids are hex; protobuf's JSON mapping of bytes is base64."""
    if isinstance(node, dict):
        return {
            k: base64.b64encode(bytes.fromhex(v)).decode() if k in ID_KEYS and isinstance(v, str)
            else hex_ids_to_base64(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [hex_ids_to_base64(x) for x in node]
    return node


def post_traces(handler, body, request_no):
    content_type = (handler.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    request = ExportTraceServiceRequest()
    if content_type == "application/x-protobuf":
        request.ParseFromString(body)
    elif content_type == "application/json":
        json_format.ParseDict(hex_ids_to_base64(json.loads(body)), request)
    else:
        raise ValueError(f"unsupported Content-Type {content_type!r}")
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            for s in ss.spans:
                emit({
                    "span": span(rs, ss, s),
                    "request": request_no,
                    "content_type": content_type,
                    "content_encoding": handler.headers.get("Content-Encoding") or "",
                })
    if content_type == "application/json":
        return 200, "application/json", b"{}"
    return 200, "application/x-protobuf", ExportTraceServiceResponse().SerializeToString()


if __name__ == "__main__":
    serve_http({"/v1/traces": post_traces})
