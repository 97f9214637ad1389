"""Shared by every Python sink: the command line, the HTTP server, and the JSON lines.

Standard library only, so it imports in every venv.

Every sink is called as `python -B <sink>.py PORT` (PORT 0: any free port). It listens on
127.0.0.1:PORT and prints, on stdout, one JSON line per event, each flushed at once:

  {"listening": "127.0.0.1:NNNN"}          first, once the socket is bound
  {"span": {...}, "request": N, ...}       one per span decoded from request N (1, 2, ...)
  {"error": "...", "request": N}           a request the decoder refused (answered 400)

The span objects are in a neutral form (ids lower-case hex, times in µs or ns as the format has them,
typed tags) so a test in any language can compare them with what the mapping rules require. What
the form holds is described in each sink. Decoding is done only by the ecosystem's own library; the
sinks add no mapping of their own.
"""

import gzip
import json
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_out = threading.Lock()
_requests = [0]


def emit(obj):
    """Prints one JSON line (thread-safe) and flushes it."""
    line = json.dumps(obj, sort_keys=False)
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def next_request():
    with _out:
        _requests[0] += 1
        return _requests[0]


def port_arg():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit(f"usage: {sys.argv[0]} PORT   (0: any free port)")
    return int(sys.argv[1])


def hex_i64(value):
    """A Thrift i64 id (signed) as 16 lower-case hex digits of its big-endian bytes."""
    return format(value & 0xFFFFFFFFFFFFFFFF, "016x")


def body_of(handler):
    """The request body, with gzip/deflate Content-Encoding undone. Returns (bytes, encoding)."""
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length)
    encoding = (handler.headers.get("Content-Encoding") or "").strip().lower()
    if encoding == "gzip":
        return gzip.decompress(raw), encoding
    if encoding == "deflate":
        return zlib.decompress(raw), encoding
    if encoding not in ("", "identity"):
        raise ValueError(f"unknown Content-Encoding {encoding!r}")
    return raw, encoding


def serve_http(routes):
    """Serves `routes`: {path: fn(handler, body, request_no) -> (status, content_type, bytes)}.

    `fn` returns the answer; an exception it raises is answered 400 and printed as an error line.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep stdout for JSON lines; stderr quiet
            pass

        def answer(self, status, content_type, payload):
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self):
            path = self.path.split("?", 1)[0]
            route = routes.get(path)
            if route is None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                emit({"error": f"POST to unexpected path {self.path}"})
                self.answer(404, "text/plain", b"not found")
                return
            request_no = next_request()
            try:
                body, _ = body_of(self)
                self.answer(*route(self, body, request_no))
            except Exception as err:  # the decoder refused the body: that is the finding
                emit({"error": f"{type(err).__name__}: {err}", "request": request_no, "path": path})
                self.answer(400, "text/plain", str(err).encode())

    server = ThreadingHTTPServer(("127.0.0.1", port_arg()), Handler)
    server.daemon_threads = True
    emit({"listening": f"127.0.0.1:{server.server_address[1]}"})
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
