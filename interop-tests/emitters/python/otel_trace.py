"""The trace every Python OpenTelemetry SDK emitter sends (SDK 1.21 for Jaeger, 1.45 for OTLP).

  interop-root   SERVER    typed attributes (string, bool, int, double), one event with attributes
    interop-child  CLIENT    status ERROR with a description
      interop-leaf   INTERNAL  a link (with an attribute) to interop-root
Resource: service.name and interop.resource.str. Scope: interop.scope 1.2.3. Ids come from the
SDK's random generator and are read back from the spans.
"""

from emit_common import at_ns, attr, hex_id

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

SCOPE = ("interop.scope", "1.2.3")
FAILURE = "interop failure"


def emit(service, run_id, exporter):
    """Sends the trace through `exporter` in one export call; returns the three spans."""
    provider = TracerProvider(resource=Resource.create({"service.name": service,
                                                         "interop.resource.str": "res-value"}))
    # One export call for the whole trace: a long delay, flushed by shutdown().
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=60_000))
    tracer = provider.get_tracer(*SCOPE)
    root = tracer.start_span("interop-root", kind=SpanKind.SERVER, start_time=at_ns(0), attributes={
        "interop.run_id": run_id, "interop.str": "hello interop", "interop.bool": True,
        "interop.int": -42, "interop.double": 2.5})
    root.add_event("interop-event", {"interop.event.int": 7, "interop.event.str": "ev"}, timestamp=at_ns(2))
    child = tracer.start_span("interop-child", context=trace.set_span_in_context(root), kind=SpanKind.CLIENT,
                              start_time=at_ns(1), attributes={"interop.child": "yes"})
    leaf = tracer.start_span("interop-leaf", context=trace.set_span_in_context(child), kind=SpanKind.INTERNAL,
                             start_time=at_ns(2), links=[Link(root.get_span_context(), {"interop.link": "yes"})])
    leaf.end(end_time=at_ns(3))
    child.set_status(Status(StatusCode.ERROR, FAILURE))
    child.end(end_time=at_ns(4))
    root.end(end_time=at_ns(6))
    provider.shutdown()  # exports, and waits for the exporter to return
    return root, child, leaf


def describe_fields(service, run_id, spans, flavor):
    """The emit_common.describe fields for `flavor`:

    otlp       everything as sent: resource, scope, typed attributes, link with its attribute.
    jaeger121  opentelemetry-exporter-jaeger-thrift 1.21: the Process has only serviceName, every
               resource attribute is a tag of every span; links become FOLLOWS_FROM references
               without attributes; the event name is sent as log field `message`.
    """
    root, child, leaf = spans
    ctx = {s.name: s.get_span_context() for s in spans}
    trace_id = hex_id(ctx["interop-root"].trace_id, 32)

    def sid(name):
        return hex_id(ctx[name].span_id, 16)

    from importlib.metadata import version

    sdk = version("opentelemetry-sdk")
    resource = [attr("interop.resource.str", "string", "res-value"),
                attr("telemetry.sdk.language", "string", "python"),
                attr("telemetry.sdk.name", "string", "opentelemetry"),
                attr("telemetry.sdk.version", "string", sdk)]
    # jaeger121: the resource, service.name included, is repeated as tags of every span.
    extra = resource + [attr("service.name", "string", service)] if flavor == "jaeger121" else []
    link = {"trace_id": trace_id, "span_id": sid("interop-root")}
    if flavor == "otlp":
        link["attributes"] = [attr("interop.link", "string", "yes")]
    fields = dict(
        run_id=run_id,
        service_name=service,
        trace_id=trace_id,
        resource_attributes=resource if flavor == "otlp" else [],
        scope={"name": SCOPE[0], "version": SCOPE[1]},
        allowed_extra_attributes=[],
        spans=[
            dict(name="interop-root", span_id=sid("interop-root"), parent_span_id="", kind="SERVER",
                 start_time_unix_nano=at_ns(0), end_time_unix_nano=at_ns(6), status={"code": "UNSET"},
                 attributes=[attr("interop.run_id", "string", run_id),
                             attr("interop.str", "string", "hello interop"),
                             attr("interop.bool", "bool", True), attr("interop.int", "int", -42),
                             attr("interop.double", "double", 2.5)] + extra,
                 events=[{"name": "interop-event", "time_unix_nano": at_ns(2),
                          "attributes": [attr("interop.event.int", "int", 7),
                                         attr("interop.event.str", "string", "ev")]}],
                 links=[]),
            dict(name="interop-child", span_id=sid("interop-child"), parent_span_id=sid("interop-root"),
                 kind="CLIENT", start_time_unix_nano=at_ns(1), end_time_unix_nano=at_ns(4),
                 status={"code": "ERROR", "message": FAILURE},
                 attributes=[attr("interop.child", "string", "yes")] + extra, events=[], links=[]),
            dict(name="interop-leaf", span_id=sid("interop-leaf"), parent_span_id=sid("interop-child"),
                 kind="INTERNAL", start_time_unix_nano=at_ns(2), end_time_unix_nano=at_ns(3),
                 status={"code": "UNSET"}, attributes=list(extra), events=[], links=[link]),
        ],
    )
    return fields
