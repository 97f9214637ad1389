"""Python jaeger-client 4.8.0 (OpenTracing) → Jaeger agent UDP, Thrift compact emitBatch.

    python jaeger_client_emit.py udp-compact HOST:PORT RUN_ID
    python jaeger_client_emit.py udp-compact-64bit HOST:PORT RUN_ID   (64-bit trace ids, the client's default)
    python jaeger_client_emit.py udp-compact-remote-sampling HOST:PORT RUN_ID SAMPLING_HOST:PORT

udp-compact uses a const sampler. udp-compact-remote-sampling uses the client's default, remote
sampler: it polls GET /sampling?service=NAME on SAMPLING_HOST:PORT (the agent's 5778) and starts
at probability 0.001, so the trace is only sent once the endpoint has answered probabilistic 1.0
for this service (waited for, up to 10 s). The service is then
interop-py-jaeger-remote-sampling-RUN_ID.

The trace: interop-root (SERVER, typed tags, one log) → interop-child (CLIENT, error=true) →
interop-leaf (no span.kind tag, so INTERNAL). See emit_common for the output line.
"""

import sys
import time
from importlib.metadata import version

from emit_common import at_s, at_ns, attr, describe, hex_id, host_port, parse_args
from jaeger_client import Config
from jaeger_client.sampler import ProbabilisticSampler

MODES = ["udp-compact", "udp-compact-64bit", "udp-compact-remote-sampling"]
mode, target, run_id, sampling = parse_args(MODES, with_sampling=["udp-compact-remote-sampling"])
host, port = host_port(target)
config = {
    "local_agent": {"reporting_host": host, "reporting_port": port},
    "reporter_flush_interval": 60,  # flushed by close(), in one datagram
    "reporter_batch_size": 100,
    # 64-bit trace ids (the default) arrive in OTLP left-padded with zeros to 16 bytes
    "generate_128bit_trace_id": mode != "udp-compact-64bit",
    "tags": {"interop.process.str": "proc-value", "hostname": "interop-host"},
    "logging": False,
}
if sampling:
    service = f"interop-py-jaeger-remote-sampling-{run_id}"
    sampling_host, sampling_port = host_port(sampling)
    if sampling_host != host:
        sys.exit("jaeger-client polls sampling on the reporting host: give both on the same host")
    config["local_agent"]["sampling_port"] = sampling_port
    config["sampling_refresh_interval"] = 1  # the first poll comes after a random part of this
    sampler_tags = [attr("sampler.type", "string", "probabilistic"), attr("sampler.param", "double", 1.0)]
else:
    service = f"interop-py-jaeger-{mode}-{run_id}"
    config["sampler"] = {"type": "const", "param": 1}
    sampler_tags = [attr("sampler.type", "string", "const"), attr("sampler.param", "bool", True)]

tracer = Config(config=config, service_name=service, validate=True).new_tracer()
if sampling:
    deadline = time.monotonic() + 10
    while not (isinstance(tracer.sampler.sampler, ProbabilisticSampler) and tracer.sampler.sampler.rate == 1.0):
        if time.monotonic() > deadline:
            sys.exit(f"the remote sampler did not get probabilistic 1.0 from {sampling} within 10 s: "
                     f"it has {tracer.sampler.sampler}")
        time.sleep(0.02)

root = tracer.start_span("interop-root", start_time=at_s(0), ignore_active_span=True)
root.set_tag("span.kind", "server")
root.set_tag("interop.run_id", run_id)
root.set_tag("interop.str", "hello interop")
root.set_tag("interop.bool", True)
root.set_tag("interop.int", -42)
root.set_tag("interop.double", 2.5)
root.log_kv({"event": "interop-event", "interop.event.int": 7, "interop.event.str": "ev"}, timestamp=at_s(2))
child = tracer.start_span("interop-child", child_of=root, start_time=at_s(1),
                          tags={"span.kind": "client", "error": True, "interop.child": "yes"})
leaf = tracer.start_span("interop-leaf", child_of=child, start_time=at_s(2))
leaf.finish(finish_time=at_s(3))
child.finish(finish_time=at_s(4))
root.finish(finish_time=at_s(6))

# close() flushes the reporter's queue on its IO-loop thread; its future completes once the
# datagram has been written.
flushed = tracer.close()
deadline = time.monotonic() + 10
while not flushed.done():
    if time.monotonic() > deadline:
        raise SystemExit("jaeger-client did not flush within 10 s")
    time.sleep(0.01)

trace_id = hex_id(root.context.trace_id, 32)


def sid(span):
    return hex_id(span.context.span_id, 16)


describe(
    client="Python jaeger-client (UDP compact" + (", remote sampler)" if sampling else ")"),
    library="jaeger-client",
    version=version("jaeger-client"),
    protocol="Thrift compact Agent.emitBatch in one UDP datagram",
    run_id=run_id,
    service_name=service,
    trace_id=trace_id,
    resource_attributes=[attr("interop.process.str", "string", "proc-value"),
                         attr("host.name", "string", "interop-host"),
                         attr("jaeger.version", "string", f"Python-{version('jaeger-client')}")],
    allowed_extra_attributes=[],
    spans=[
        dict(name="interop-root", span_id=sid(root), parent_span_id="", kind="SERVER",
             start_time_unix_nano=at_ns(0), end_time_unix_nano=at_ns(6), status={"code": "UNSET"},
             attributes=[attr("interop.run_id", "string", run_id), attr("interop.str", "string", "hello interop"),
                         attr("interop.bool", "bool", True), attr("interop.int", "int", -42),
                         attr("interop.double", "double", 2.5),
                         # the sampler's own tags, on the root span
                         ] + sampler_tags,
             events=[{"name": "interop-event", "time_unix_nano": at_ns(2),
                      "attributes": [attr("interop.event.int", "int", 7), attr("interop.event.str", "string", "ev")]}],
             links=[]),
        dict(name="interop-child", span_id=sid(child), parent_span_id=sid(root), kind="CLIENT",
             start_time_unix_nano=at_ns(1), end_time_unix_nano=at_ns(4), status={"code": "ERROR"},
             attributes=[attr("interop.child", "string", "yes")], events=[], links=[]),
        dict(name="interop-leaf", span_id=sid(leaf), parent_span_id=sid(child), kind="INTERNAL",
             start_time_unix_nano=at_ns(2), end_time_unix_nano=at_ns(3), status={"code": "UNSET"},
             attributes=[], events=[], links=[]),
    ],
)
