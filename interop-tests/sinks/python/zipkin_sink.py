"""A Zipkin server's `POST /api/v2/spans` (JSON or proto3), decoded by the ecosystem's code.

    interop-tests/.venv/py-zipkin/bin/python -B zipkin_sink.py PORT

Decoders, chosen by Content-Type as the Zipkin server does:
- `application/x-protobuf`: `ListOfSpans` parsed by Google's `protobuf` runtime with the zipkin.proto
  types that ship inside py-zipkin (`py_zipkin.encoding.protobuf.zipkin_pb2`).
- `application/json`: py-zipkin has no v2 JSON decoder (its `get_decoder(V2_JSON)` raises
  NotImplementedError), so the body is parsed with `json` and checked field by field against the
  zipkin2 v2 model (zipkin-api `zipkin2-api.yaml`, the rules of `zipkin2.Span`): only its field names,
  their JSON types, hex ids of the right length in lower case, kind values, integer µs times,
  annotation and endpoint shapes, string tag values. Each violation is a problem of that span.
Answers 202, as the Zipkin server does.

One line per span: {"span": S, "request": N, "format": "json"|"proto"} with S =
  trace_id, id, parent_id (hex, or null), kind (CLIENT|SERVER|PRODUCER|CONSUMER or null), name,
  timestamp, duration (µs, null when absent), local_endpoint, remote_endpoint
  ({service_name, ipv4, ipv6, port} or null), annotations [{timestamp, value}], tags {k: v},
  debug, shared (bool, null when absent), present (the fields the sender wrote, JSON only),
  problems [text].
"""

import ipaddress
import json
import re
import sys

sys.dont_write_bytecode = True
from py_zipkin.encoding.protobuf import zipkin_pb2  # noqa: E402
from sink_common import emit, serve_http  # noqa: E402

SPAN_FIELDS = {
    "traceId", "name", "parentId", "id", "kind", "timestamp", "duration", "debug", "shared",
    "localEndpoint", "remoteEndpoint", "annotations", "tags",
}
ENDPOINT_FIELDS = {"serviceName", "ipv4", "ipv6", "port"}
KINDS = {"CLIENT", "SERVER", "PRODUCER", "CONSUMER"}
HEX16 = re.compile(r"^[0-9a-f]{16}$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def json_endpoint(name, e, problems):
    if e is None:
        return None
    if not isinstance(e, dict):
        problems.append(f"{name}: not an object")
        return None
    for k in e:
        if k not in ENDPOINT_FIELDS:
            problems.append(f"{name}: unknown field {k!r}")
    if "serviceName" in e and not isinstance(e["serviceName"], str):
        problems.append(f"{name}.serviceName: not a string")
    if "ipv4" in e:
        try:
            ipaddress.IPv4Address(e["ipv4"])
        except (ValueError, TypeError):
            problems.append(f"{name}.ipv4: not an IPv4 address: {e['ipv4']!r}")
    if "ipv6" in e:
        try:
            ipaddress.IPv6Address(e["ipv6"])
        except (ValueError, TypeError):
            problems.append(f"{name}.ipv6: not an IPv6 address: {e['ipv6']!r}")
    if "port" in e and not (is_int(e["port"]) and 0 < e["port"] <= 65535):
        problems.append(f"{name}.port: not a port number: {e['port']!r}")
    return {
        "service_name": e.get("serviceName"),
        "ipv4": e.get("ipv4"),
        "ipv6": e.get("ipv6"),
        "port": e.get("port"),
    }


def json_span(s):
    problems = []
    if not isinstance(s, dict):
        return {"problems": [f"list element is not an object: {s!r}"]}
    for k in s:
        if k not in SPAN_FIELDS:
            problems.append(f"unknown field {k!r}")
    trace_id = s.get("traceId")
    if not (isinstance(trace_id, str) and (HEX16.match(trace_id) or HEX32.match(trace_id))):
        problems.append(f"traceId: not 16 or 32 lower-case hex digits: {trace_id!r}")
    if not (isinstance(s.get("id"), str) and HEX16.match(s["id"])):
        problems.append(f"id: not 16 lower-case hex digits: {s.get('id')!r}")
    if "parentId" in s and not (isinstance(s["parentId"], str) and HEX16.match(s["parentId"])):
        problems.append(f"parentId: not 16 lower-case hex digits: {s['parentId']!r}")
    if "kind" in s and s["kind"] not in KINDS:
        problems.append(f"kind: not one of {sorted(KINDS)}: {s['kind']!r}")
    if "name" in s and not isinstance(s["name"], str):
        problems.append("name: not a string")
    for k in ("timestamp", "duration"):
        if k in s and not (is_int(s[k]) and s[k] > 0):
            problems.append(f"{k}: not a positive integer (µs): {s[k]!r}")
    for k in ("debug", "shared"):
        if k in s and not isinstance(s[k], bool):
            problems.append(f"{k}: not a bool: {s[k]!r}")
    annotations = s.get("annotations", [])
    if not isinstance(annotations, list):
        problems.append("annotations: not a list")
        annotations = []
    out_annotations = []
    for i, a in enumerate(annotations):
        if not isinstance(a, dict) or set(a) != {"timestamp", "value"}:
            problems.append(f"annotations[{i}]: not {{timestamp, value}}: {a!r}")
            continue
        if not is_int(a["timestamp"]) or not isinstance(a["value"], str):
            problems.append(f"annotations[{i}]: timestamp not an integer or value not a string")
        out_annotations.append({"timestamp": a["timestamp"], "value": a["value"]})
    tags = s.get("tags", {})
    if not isinstance(tags, dict):
        problems.append("tags: not an object")
        tags = {}
    for k, v in tags.items():
        if not isinstance(v, str):
            problems.append(f"tags[{k!r}]: value is not a string: {v!r}")
    return {
        "trace_id": trace_id,
        "id": s.get("id"),
        "parent_id": s.get("parentId"),
        "kind": s.get("kind"),
        "name": s.get("name"),
        "timestamp": s.get("timestamp"),
        "duration": s.get("duration"),
        "local_endpoint": json_endpoint("localEndpoint", s.get("localEndpoint"), problems),
        "remote_endpoint": json_endpoint("remoteEndpoint", s.get("remoteEndpoint"), problems),
        "annotations": out_annotations,
        "tags": tags,
        "debug": s.get("debug"),
        "shared": s.get("shared"),
        "present": list(s),
        "problems": problems,
    }


def proto_endpoint(span, field):
    if not span.HasField(field):
        return None
    e = getattr(span, field)
    return {
        "service_name": e.service_name or None,
        "ipv4": str(ipaddress.IPv4Address(e.ipv4)) if e.ipv4 else None,
        "ipv6": str(ipaddress.IPv6Address(e.ipv6)) if e.ipv6 else None,
        "port": e.port or None,
    }


def proto_span(s):
    problems = []
    if len(s.trace_id) not in (8, 16):
        problems.append(f"trace_id: {len(s.trace_id)} bytes, not 8 or 16")
    if len(s.id) != 8:
        problems.append(f"id: {len(s.id)} bytes, not 8")
    if s.parent_id and len(s.parent_id) != 8:
        problems.append(f"parent_id: {len(s.parent_id)} bytes, not 8")
    kind = zipkin_pb2.Span.Kind.Name(s.kind)
    return {
        "trace_id": s.trace_id.hex(),
        "id": s.id.hex(),
        "parent_id": s.parent_id.hex() or None,
        "kind": None if kind == "SPAN_KIND_UNSPECIFIED" else kind,
        "name": s.name or None,
        "timestamp": s.timestamp or None,
        "duration": s.duration or None,
        "local_endpoint": proto_endpoint(s, "local_endpoint"),
        "remote_endpoint": proto_endpoint(s, "remote_endpoint"),
        "annotations": [{"timestamp": a.timestamp, "value": a.value} for a in s.annotations],
        "tags": dict(s.tags),
        "debug": s.debug or None,
        "shared": s.shared or None,
        "problems": problems,
    }


def post_spans(handler, body, request_no):
    content_type = (handler.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type == "application/x-protobuf":
        spans = [proto_span(s) for s in zipkin_pb2.ListOfSpans.FromString(body).spans]
        fmt = "proto"
    elif content_type == "application/json":
        decoded = json.loads(body.decode("utf-8"))
        if not isinstance(decoded, list):
            raise ValueError("a v2 body is a JSON list of spans")
        spans = [json_span(s) for s in decoded]
        fmt = "json"
    else:
        raise ValueError(f"unsupported Content-Type {content_type!r}")
    for s in spans:
        emit({"span": s, "request": request_no, "format": fmt})
    return 202, None, b""


if __name__ == "__main__":
    serve_http({"/api/v2/spans": post_spans})
