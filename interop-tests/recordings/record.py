#!/usr/bin/env python3
"""Records the answers of a running Jaeger query API or Zipkin v2 API for the fixed trace set.

Called by record.sh once the server holds bridge/tests/fixtures/query/input/*; usable alone:
    python3 record.py jaeger http://127.0.0.1:16686 OUT_DIR
    python3 record.py zipkin http://127.0.0.1:9411 OUT_DIR
Writes OUT_DIR/NN-name.json per request ({"request", "response", "sorted"}) and OUT_DIR/index.json.
Bodies are pretty-printed JSON (text when not JSON); only where the server's order is not defined is it
sorted, and each file's "sorted" list says what was.
"""
import json
import pathlib
import sys
import urllib.error
import urllib.parse
import urllib.request

# The trace set (make_input.py): 2026-11-20T10:00:00Z + 0..300 s.
BASE_S = 1795168800
T1 = "5b8efff798038103d269b633813fc60c"
T2 = "0af7651916cd43dd8448eb211c80319c"
T3 = "6b221d5bc9e6496c"  # 64-bit
T3_PADDED = "00000000000000006b221d5bc9e6496c"
T4 = "4bf92f3577b34da6a3ce929d0e0e4736"
T6 = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
MISSING = "00000000000000000000000000abcdef"

# Windows: one hour from 09:30 to 10:30 UTC covers every span; the day before covers none.
START_US = (BASE_S - 1800) * 10**6
END_US = (BASE_S + 1800) * 10**6
END_MS = (BASE_S + 1800) * 1000
LOOKBACK_MS = 3600 * 1000
BEFORE_END_MS = (BASE_S - 86400) * 1000


def q(**params):
    # Commas stay literal: traceMany's list separator, as clients write it.
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe=",")


def tags(d):
    """A Jaeger `tags` value, compact as the Jaeger UI sends it."""
    return json.dumps(d, separators=(",", ":"))


def jwin(**params):
    """Jaeger /api/traces query with the covering window."""
    return "/api/traces?" + q(**params, start=START_US, end=END_US)


def zwin(**params):
    """Zipkin /api/v2/traces query with the covering window."""
    return "/api/v2/traces?" + q(**params, endTs=END_MS, lookback=LOOKBACK_MS)


JAEGER = [
    ("services", "/api/services"),
    ("operations-frontend", "/api/services/frontend/operations"),
    ("operations-checkout", "/api/services/checkout/operations"),
    ("operations-payments", "/api/services/payments/operations"),
    ("operations-inventory", "/api/services/inventory/operations"),
    ("operations-unknown-service", "/api/services/nosuch/operations"),
    ("operations-v2-checkout", "/api/operations?" + q(service="checkout")),
    ("operations-v2-checkout-server", "/api/operations?" + q(service="checkout", spanKind="server")),
    ("operations-v2-checkout-client", "/api/operations?" + q(service="checkout", spanKind="client")),
    ("operations-v2-checkout-producer", "/api/operations?" + q(service="checkout", spanKind="producer")),
    ("operations-v2-inventory-consumer", "/api/operations?" + q(service="inventory", spanKind="consumer")),
    ("operations-v2-payments-internal", "/api/operations?" + q(service="payments", spanKind="internal")),
    ("operations-v2-no-service", "/api/operations"),
    ("traces-service-frontend", jwin(service="frontend", limit=20)),
    ("traces-service-payments", jwin(service="payments", limit=20)),
    ("traces-operation-charge", jwin(service="checkout", operation="charge", limit=20)),
    ("traces-operation-with-space", jwin(service="checkout", operation="POST /api/checkout", limit=20)),
    ("traces-tag-span-string", jwin(service="checkout", tags=tags({"order.id": "ord-1002"}), limit=20)),
    ("traces-tag-span-int", jwin(service="frontend", tags=tags({"http.response.status_code": "504"}),
                                 limit=20)),
    ("traces-tag-span-bool", jwin(service="payments", tags=tags({"dry_run": "true"}), limit=20)),
    ("traces-tag-resource", jwin(service="frontend", tags=tags({"host.name": "frontend-2"}), limit=20)),
    ("traces-tag-event-field", jwin(service="payments", tags=tags({"exception.type": "CardDeclined"}),
                                    limit=20)),
    ("traces-tag-error", jwin(service="inventory", tags=tags({"error": "true"}), limit=20)),
    ("traces-tag-two", jwin(service="checkout", tags=tags({"peer.service": "payments",
                                                                  "rpc.method": "Charge"}), limit=20)),
    ("traces-tag-error-false", jwin(service="inventory", tags=tags({"error": "false"}), limit=20)),
    ("traces-tag-no-match", jwin(service="checkout", tags=tags({"order.id": "ord-9999"}), limit=20)),
    ("traces-min-duration", jwin(service="payments", minDuration="1s", limit=20)),
    ("traces-max-duration", jwin(service="inventory", maxDuration="100ms", limit=20)),
    ("traces-min-max-duration", jwin(service="checkout", minDuration="100ms", maxDuration="1s", limit=20)),
    ("traces-limit-1", jwin(service="frontend", limit=1)),
    ("traces-unknown-operation", jwin(service="frontend", operation="nope", limit=20)),
    ("traces-unknown-service", jwin(service="nosuch", limit=20)),
    ("traces-window-before", "/api/traces?" + q(service="frontend", start=START_US - 86400 * 10**6,
                                                 end=END_US - 86400 * 10**6, limit=20)),
    # As the Jaeger UI sends a search: start, end and the (informational) lookback.
    ("traces-ui-style", "/api/traces?" + q(end=END_US, limit=20, lookback="custom", maxDuration="",
                                          minDuration="", service="inventory", start=START_US)),
    # No start: Jaeger ignores lookback and uses now - 2 days, so this answer depends on the clock.
    ("traces-lookback-without-start", "/api/traces?" + q(service="inventory", end=END_US, lookback="1h",
                                                         limit=20)),
    ("traces-by-traceid-params", "/api/traces?" + q(traceID=T1) + "&" + q(traceID=T3)),
    ("error-traces-no-service", "/api/traces?" + q(start=START_US, end=END_US)),
    ("error-traces-bad-tags", jwin(service="frontend", tags="{not json")),
    ("error-traces-bad-min-duration", jwin(service="frontend", minDuration="fast")),
    ("error-traces-bad-limit", jwin(service="frontend", limit="many")),
    ("trace-128bit", f"/api/traces/{T1}"),
    ("trace-error-trace", f"/api/traces/{T2}"),
    ("trace-64bit", f"/api/traces/{T3}"),
    ("trace-64bit-padded", f"/api/traces/{T3_PADDED}"),
    ("trace-link", "/api/traces/1e223ff1f80f1c9f8a3bb0f0a1c2d3e4"),
    ("trace-not-found", f"/api/traces/{MISSING}"),
    ("error-trace-bad-id", "/api/traces/zzz"),
    ("error-trace-too-long-id", "/api/traces/" + "a" * 33),
    ("dependencies", "/api/dependencies?" + q(endTs=END_MS, lookback=LOOKBACK_MS)),
    ("dependencies-window-before", "/api/dependencies?" + q(endTs=BEFORE_END_MS, lookback=LOOKBACK_MS)),
    ("error-dependencies-bad-endts", "/api/dependencies?" + q(endTs="yesterday", lookback=LOOKBACK_MS)),
]

ZIPKIN = [
    ("services", "/api/v2/services"),
    ("spans-frontend", "/api/v2/spans?" + q(serviceName="frontend")),
    ("spans-checkout", "/api/v2/spans?" + q(serviceName="checkout")),
    ("spans-payments", "/api/v2/spans?" + q(serviceName="payments")),
    ("spans-inventory", "/api/v2/spans?" + q(serviceName="inventory")),
    ("spans-unknown-service", "/api/v2/spans?" + q(serviceName="nosuch")),
    ("spans-uppercase-service", "/api/v2/spans?" + q(serviceName="Frontend")),
    ("remote-services-frontend", "/api/v2/remoteServices?" + q(serviceName="frontend")),
    ("remote-services-checkout", "/api/v2/remoteServices?" + q(serviceName="checkout")),
    ("remote-services-payments", "/api/v2/remoteServices?" + q(serviceName="payments")),
    ("remote-services-inventory", "/api/v2/remoteServices?" + q(serviceName="inventory")),
    ("traces-service-frontend", zwin(serviceName="frontend", limit=20)),
    ("traces-service-payments", zwin(serviceName="payments", limit=20)),
    ("traces-all-services", zwin(limit=20)),
    ("traces-span-name", zwin(serviceName="checkout", spanName="charge", limit=20)),
    ("traces-span-name-mixed-case", zwin(serviceName="checkout", spanName="POST /api/checkout", limit=20)),
    ("traces-remote-service", zwin(serviceName="inventory", remoteServiceName="postgres", limit=20)),
    ("traces-annotation-key-value", zwin(serviceName="checkout", annotationQuery="order.id=ord-1002", limit=20)),
    ("traces-annotation-key", zwin(serviceName="frontend", annotationQuery="error", limit=20)),
    ("traces-annotation-and", zwin(serviceName="frontend",
                                   annotationQuery="error and http.response.status_code=504", limit=20)),
    ("traces-annotation-resource-tag", zwin(serviceName="frontend", annotationQuery="host.name=frontend-2",
                                            limit=20)),
    ("traces-annotation-value", zwin(serviceName="payments", annotationQuery="batch.start", limit=20)),
    ("traces-annotation-no-match", zwin(serviceName="checkout", annotationQuery="order.id=ord-9999", limit=20)),
    ("traces-min-duration", zwin(serviceName="payments", minDuration=1_000_000, limit=20)),
    ("traces-max-duration", zwin(serviceName="inventory", minDuration=1, maxDuration=100_000, limit=20)),
    ("traces-min-max-duration", zwin(serviceName="checkout", minDuration=100_000, maxDuration=1_000_000,
                                     limit=20)),
    ("traces-limit-1", zwin(serviceName="frontend", limit=1)),
    ("traces-unknown-span-name", zwin(serviceName="frontend", spanName="nope", limit=20)),
    ("traces-unknown-service", zwin(serviceName="nosuch", limit=20)),
    ("traces-window-before", "/api/v2/traces?" + q(serviceName="frontend", endTs=BEFORE_END_MS,
                                                    lookback=LOOKBACK_MS, limit=20)),
    ("error-traces-max-without-min", zwin(serviceName="inventory", maxDuration=100_000, limit=20)),
    ("error-traces-bad-limit", zwin(serviceName="frontend", limit="many")),
    ("trace-128bit", f"/api/v2/trace/{T1}"),
    ("trace-error-trace", f"/api/v2/trace/{T2}"),
    ("trace-64bit", f"/api/v2/trace/{T3}"),
    ("trace-64bit-padded", f"/api/v2/trace/{T3_PADDED}"),
    ("trace-low-64-of-128bit", f"/api/v2/trace/{T1[16:]}"),
    ("trace-uppercase-id", f"/api/v2/trace/{T4.upper()}"),
    ("trace-not-found", f"/api/v2/trace/{MISSING}"),
    ("error-trace-bad-id", "/api/v2/trace/zzz"),
    ("error-trace-too-long-id", "/api/v2/trace/" + "a" * 33),
    ("trace-many", "/api/v2/traceMany?" + q(traceIds=f"{T1},{T3},{T6}")),
    ("trace-many-with-missing", "/api/v2/traceMany?" + q(traceIds=f"{T4},{MISSING}")),
    ("error-trace-many-one-id", "/api/v2/traceMany?" + q(traceIds=T1)),
    ("error-trace-many-bad-id", "/api/v2/traceMany?" + q(traceIds=f"{T1},zzz")),
    ("error-trace-many-missing-param", "/api/v2/traceMany"),
    ("dependencies", "/api/v2/dependencies?" + q(endTs=END_MS, lookback=LOOKBACK_MS)),
    ("dependencies-window-before", "/api/v2/dependencies?" + q(endTs=BEFORE_END_MS, lookback=LOOKBACK_MS)),
    ("error-spans-no-service", "/api/v2/spans"),
    ("error-remote-services-no-service", "/api/v2/remoteServices"),
    ("error-dependencies-no-endts", "/api/v2/dependencies"),
    ("trace-many-newest-first-request", "/api/v2/traceMany?" + q(traceIds=f"{T6},{T3},{T1}")),
]


def fetch(base, path):
    req = urllib.request.Request(base + path, method="GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def span_key_jaeger(s):
    return (s.get("startTime", 0), s.get("spanID", ""))


def span_key_zipkin(s):
    return (s.get("timestamp", 0), s.get("id", ""))


def renumber_processes(trace):
    """Jaeger numbers processes in Go map order (differs run to run): renumber by first use."""
    spans, procs = trace.get("spans", []), trace.get("processes")
    if not isinstance(procs, dict):
        return
    new_ids = {}
    for s in spans:
        old = s.get("processID")
        if old in procs and old not in new_ids:
            new_ids[old] = f"p{len(new_ids) + 1}"
    for old in procs:  # processes no span uses (none expected) keep a number after the used ones
        new_ids.setdefault(old, f"p{len(new_ids) + 1}")
    for s in spans:
        if s.get("processID") in new_ids:
            s["processID"] = new_ids[s["processID"]]
    trace["processes"] = {new_ids[k]: v for k, v in sorted(procs.items(), key=lambda kv: int(new_ids[kv[0]][1:]))}


def normalise_jaeger(path, body):
    """Sorts what Jaeger leaves in map/iteration order. Returns the list of what was sorted."""
    done = []
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return done
    data = body["data"]
    if path.startswith("/api/services") or path.startswith("/api/operations"):
        if all(isinstance(x, str) for x in data):
            data.sort()
            done.append("data: sorted strings")
        else:
            data.sort(key=lambda o: (o.get("name", ""), o.get("spanKind", "")))
            done.append("data: sorted by (name, spanKind)")
    elif path.startswith("/api/traces"):
        data.sort(key=lambda t: t.get("traceID", ""))
        done.append("data: traces sorted by traceID")
        for t in data:
            t.get("spans", []).sort(key=span_key_jaeger)
            renumber_processes(t)
        done.append("data[].spans: sorted by (startTime, spanID)")
        done.append("data[].processes: renumbered p1, p2, ... in order of first use by the sorted spans")
    elif path.startswith("/api/dependencies"):
        data.sort(key=lambda d: (d.get("parent", ""), d.get("child", "")))
        done.append("data: sorted by (parent, child)")
    return done


def normalise_zipkin(path, body):
    done = []
    if not isinstance(body, list):
        return done
    if path.startswith("/api/v2/traces") or path.startswith("/api/v2/traceMany"):
        # Zipkin's in-memory store returns traces newest first: kept. Spans within a trace have no order.
        for t in body:
            t.sort(key=span_key_zipkin)
        done.append("[][]: spans of each trace sorted by (timestamp, id); trace order is the server's")
    elif path.startswith("/api/v2/trace/"):
        body.sort(key=span_key_zipkin)
        done.append("[]: spans sorted by (timestamp, id)")
    elif path.startswith("/api/v2/dependencies"):
        body.sort(key=lambda d: (d.get("parent", ""), d.get("child", "")))
        done.append("[]: sorted by (parent, child)")
    return done


def main():
    server, base, out = sys.argv[1], sys.argv[2].rstrip("/"), pathlib.Path(sys.argv[3])
    requests = JAEGER if server == "jaeger" else ZIPKIN
    normalise = normalise_jaeger if server == "jaeger" else normalise_zipkin
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    index = []
    for n, (name, path) in enumerate(requests, 1):
        status, ctype, raw = fetch(base, path)
        try:
            body = json.loads(raw)
            sorted_ = normalise(path, body)
        except ValueError:
            body = raw.decode("utf-8", "replace")
            sorted_ = []
        file = f"{n:02d}-{name}.json"
        rec = {
            "request": {"method": "GET", "path": path},
            "response": {"status": status, "content_type": ctype, "body": body},
            "sorted": sorted_,
        }
        (out / file).write_text(json.dumps(rec, indent=2, ensure_ascii=False) + "\n")
        index.append({"file": file, "name": name, "method": "GET", "path": path, "status": status})
        print(f"{server}: {status} {path} -> {file}")
    (out / "index.json").write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
