"""py-zipkin 1.2.8 with a plain HTTP transport → Zipkin v2 JSON, v2 proto3 or v1 JSON.

    python py_zipkin_emit.py v2-json|v2-proto|v1-json|v2-json-64bit http://HOST:PORT RUN_ID

POSTs one batch to TARGET/api/v2/spans (v2) or TARGET/api/v1/spans (v1); a non-2xx answer fails.
The trace:
  interop-root   SERVER  string tags, one annotation, local endpoint 127.0.0.1:8080
    interop-child  CLIENT  tag error=<message>, remote endpoint interop-peer 192.0.2.20:9000
      interop-leaf   no kind (a local span → INTERNAL)
Zipkin tags are strings, so every attribute arrives as a string; annotations carry no attributes.
"""

import types
import urllib.request
from importlib.metadata import version

import py_zipkin.logging_helper
from emit_common import at_ns, at_s, attr, base_url, describe, parse_args
from py_zipkin.encoding import Encoding
from py_zipkin.transport import BaseTransportHandler
from py_zipkin.zipkin import Kind, zipkin_span

MODES = {
    "v2-json": (Encoding.V2_JSON, "/api/v2/spans", "application/json", "Zipkin v2 JSON list of spans"),
    "v2-proto": (Encoding.V2_PROTO3, "/api/v2/spans", "application/x-protobuf", "Zipkin v2 proto3 ListOfSpans"),
    "v1-json": (Encoding.V1_JSON, "/api/v1/spans", "application/json", "Zipkin v1 JSON list of spans"),
    # 64-bit trace ids (py-zipkin's default) arrive in OTLP left-padded with zeros to 16 bytes
    "v2-json-64bit": (Encoding.V2_JSON, "/api/v2/spans", "application/json", "Zipkin v2 JSON list of spans"),
}
mode, target, run_id, _ = parse_args(list(MODES))
encoding, path, content_type, protocol = MODES[mode]
url = base_url(target) + path
service = f"interop-py-zipkin-{mode}-{run_id}"
posts = []


class HttpTransport(BaseTransportHandler):
    """py-zipkin ships no HTTP transport: it hands the encoded batch to this."""

    def get_max_payload_bytes(self):
        return None

    def send(self, payload):
        body = payload if isinstance(payload, bytes) else payload.encode("utf-8")
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
        with urllib.request.urlopen(request, timeout=10) as response:  # raises on 4xx/5xx
            posts.append(response.status)


# py-zipkin takes the local root span's times from time.time() (its timestamp/duration arguments
# only apply to child spans). Its logging context reads the clock twice, at start and at emit:
# give it our two instants, so the root's times are known exactly too.
_root_clock = iter([at_s(0), at_s(6)])
py_zipkin.logging_helper.time = types.SimpleNamespace(time=lambda: next(_root_clock))

with zipkin_span(service_name=service, span_name="interop-root", transport_handler=HttpTransport(),
                 sample_rate=100.0, use_128bit_trace_id=not mode.endswith("-64bit"), kind=Kind.SERVER,
                 host="127.0.0.1", port=8080,
                 encoding=encoding,
                 binary_annotations={"interop.run_id": run_id, "interop.str": "hello interop",
                                     "interop.bool": "true", "interop.int": "-42", "interop.double": "2.5"}) as root:
    root.add_annotation("interop-event", timestamp=at_s(2))
    with zipkin_span(service_name=service, span_name="interop-child", kind=Kind.CLIENT, timestamp=at_s(1),
                     duration=3 * 0.125,
                     binary_annotations={"error": "interop failure", "interop.child": "yes"}) as child:
        child.add_sa_binary_annotation(port=9000, service_name="interop-peer", host="192.0.2.20")
        with zipkin_span(service_name=service, span_name="interop-leaf", timestamp=at_s(2), duration=0.125) as leaf:
            pass

if posts != [202] and posts != [200]:
    raise SystemExit(f"expected one POST answered 200/202, got {posts}")

ids = {s.span_name: s.zipkin_attrs for s in (root, child, leaf)}
local = [attr("network.local.address", "string", "127.0.0.1"), attr("network.local.port", "int", 8080)]
v1 = mode == "v1-json"
describe(
    client=f"Python py-zipkin ({encoding.name}, own HTTP transport)",
    library="py-zipkin",
    version=version("py-zipkin"),
    protocol=protocol + f" POSTed to {path}",
    run_id=run_id,
    service_name=service,
    trace_id=ids["interop-root"].trace_id.rjust(32, "0"),
    resource_attributes=[],
    allowed_extra_attributes=[],
    spans=[
        dict(name="interop-root", span_id=ids["interop-root"].span_id, parent_span_id="", kind="SERVER",
             start_time_unix_nano=at_ns(0), end_time_unix_nano=at_ns(6), status={"code": "UNSET"},
             attributes=[attr("interop.run_id", "string", run_id), attr("interop.str", "string", "hello interop"),
                         attr("interop.bool", "string", "true"), attr("interop.int", "string", "-42"),
                         attr("interop.double", "string", "2.5")] + local,
             events=[{"name": "interop-event", "time_unix_nano": at_ns(2), "attributes": []}], links=[]),
        dict(name="interop-child", span_id=ids["interop-child"].span_id, parent_span_id=ids["interop-root"].span_id,
             kind="CLIENT", start_time_unix_nano=at_ns(1), end_time_unix_nano=at_ns(4),
             status={"code": "ERROR", "message": "interop failure"},
             attributes=[attr("interop.child", "string", "yes"), attr("peer.service", "string", "interop-peer"),
                         attr("network.peer.address", "string", "192.0.2.20"),
                         attr("network.peer.port", "int", 9000)] + local,
             events=[], links=[]),
        dict(name="interop-leaf", span_id=ids["interop-leaf"].span_id, parent_span_id=ids["interop-child"].span_id,
             kind="INTERNAL", start_time_unix_nano=at_ns(2), end_time_unix_nano=at_ns(3), status={"code": "UNSET"},
             # v1: a local span without annotations or binary annotations carries no endpoint at all
             attributes=[] if v1 else local, events=[], links=[],
             **({"service_name": None} if v1 else {})),
    ],
)
