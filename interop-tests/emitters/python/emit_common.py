"""Shared by every Python emitter: the command line, the run's times, and the one JSON line.

Standard library only, so it imports in every venv.

Every emitter is called as `python <emitter>.py MODE TARGET RUN_ID [SAMPLING]`:
  MODE    which transport/encoding of that client to use (see each emitter)
  TARGET  host:port (UDP, gRPC) or a base URL http://host:port (HTTP)
  RUN_ID  random per test run; it goes into the service name and a span attribute so data left
          over from an earlier run cannot pass for this one.
  SAMPLING  only for modes that poll a Jaeger remote-sampling endpoint: its host:port
It sends one small trace through the real client library, waits until the library has flushed it,
and prints ONE JSON line on stdout (see `describe`) saying exactly what it sent, in OTLP terms.
Anything else (library logs) goes to stderr.
"""

import json
import sys
import time


def parse_args(modes, with_sampling=()):
    """(mode, target, run_id, sampling): `sampling` is a 4th argument (host:port of a Jaeger
    remote-sampling endpoint) that the modes in `with_sampling` take, else None."""
    mode = sys.argv[1] if len(sys.argv) > 1 else None
    want = 5 if mode in with_sampling else 4
    if len(sys.argv) != want or mode not in modes:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(modes)}}} TARGET RUN_ID [SAMPLING_HOST:PORT]")
    return mode, sys.argv[2], sys.argv[3], (sys.argv[4] if want == 5 else None)


def host_port(target):
    """'host:port' (or a URL with one) → (host, port)."""
    rest = target.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = rest.rpartition(":")
    return host, int(port)


def base_url(target):
    return target.rstrip("/") if "://" in target else f"http://{target}"


# Times: a whole second now, plus offsets in eighths of a second. Those are exact in binary floating
# point, so clients that take float seconds (OpenTracing, py-zipkin) turn them into the very
# microseconds we report, whatever rounding they use.
T0_S = int(time.time()) - 5
EIGHTH = 0.125


def at_s(eighths):
    """T0 plus `eighths` eighths of a second, as float seconds."""
    return T0_S + eighths * EIGHTH


def at_ns(eighths):
    """The same instant in integer nanoseconds."""
    return T0_S * 1_000_000_000 + eighths * 125_000_000


def attr(key, type_, value):
    """One attribute as the OTLP output must hold it: type is string|int|double|bool|array."""
    return {"key": key, "type": type_, "value": value}


def hex_id(value, width):
    return format(value, f"0{width}x")


def describe(**fields):
    """Prints the one JSON line. Fields (all in OTLP terms, as the bridge must deliver them):

    client, library, version, protocol  who sent what, for messages
    run_id, service_name, trace_id      hex trace id (32 digits)
    resource_attributes                 [attr]: must be on every span's resource (others may be too)
    scope                               {"name", "version"}, or absent when the format has none
    allowed_extra_attributes            span attribute keys the library adds by itself
    spans: [{name, span_id, parent_span_id ("" for a root), kind (SERVER|CLIENT|PRODUCER|CONSUMER|
            INTERNAL), start_time_unix_nano, end_time_unix_nano, status {code, message?},
            attributes [attr] (exactly these, apart from allowed_extra_attributes),
            events [{name, time_unix_nano, attributes}], links [{trace_id, span_id}]}]
    """
    sys.stdout.write(json.dumps(fields, separators=(",", ":")) + "\n")
    sys.stdout.flush()
