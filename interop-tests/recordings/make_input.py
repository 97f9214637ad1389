#!/usr/bin/env python3
"""Writes bridge/tests/fixtures/query/input/traces.otlp.json: the fixed trace set that record.sh sends to a
real Jaeger and (translated to Zipkin v2 JSON) to a real Zipkin server.

Six traces over four services (frontend, checkout, payments, inventory) on 2026-11-20 from 10:00:00 UTC,
every time a whole microsecond so both servers' microsecond fields are exact. Run from anywhere:
    python3 interop-tests/recordings/make_input.py
"""
import json
import pathlib

BASE_NS = 1795168800 * 10**9  # 2026-11-20T10:00:00Z
MS = 10**6
US = 10**3

KIND = {"INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4, "CONSUMER": 5}
STATUS = {"UNSET": 0, "OK": 1, "ERROR": 2}


def value(v):
    """An OTLP/JSON AnyValue for a Python value (bytes -> bytesValue, list -> arrayValue, dict -> kvlistValue)."""
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, bytes):
        import base64

        return {"bytesValue": base64.b64encode(v).decode()}
    if isinstance(v, list):
        return {"arrayValue": {"values": [value(x) for x in v]}}
    if isinstance(v, dict):
        return {"kvlistValue": {"values": attrs(v)}}
    return {"stringValue": v}


def attrs(d):
    return [{"key": k, "value": value(v)} for k, v in d.items()]


def span(trace, sid, parent, name, kind, start_us, dur_us, attributes=None, events=(), status=("UNSET", ""),
         links=(), trace_state="", dropped_attributes=0):
    """One OTLP/JSON span; start_us is relative to the trace's start (set by trace())."""
    s = {
        "traceId": trace,
        "spanId": sid,
        "name": name,
        "kind": KIND[kind],
        "_start_us": start_us,
        "_dur_us": dur_us,
        "attributes": attrs(attributes or {}),
    }
    if parent:
        s["parentSpanId"] = parent
    if trace_state:
        s["traceState"] = trace_state
    if dropped_attributes:
        s["droppedAttributesCount"] = dropped_attributes
    if events:
        s["events"] = [{"_at_us": at, "name": n, "attributes": attrs(a)} for at, n, a in events]
    if links:
        s["links"] = [{"traceId": t, "spanId": l, "attributes": attrs(a)} for t, l, a in links]
    code, msg = status
    if code != "UNSET" or msg:
        s["status"] = {"code": STATUS[code]}
        if msg:
            s["status"]["message"] = msg
    return s


def trace(offset_s, spans):
    """Places a trace's spans at BASE + offset_s, turning the relative µs into absolute ns strings."""
    t0 = BASE_NS + offset_s * 10**9
    for s in spans:
        start = t0 + s.pop("_start_us") * US
        s["startTimeUnixNano"] = str(start)
        s["endTimeUnixNano"] = str(start + s.pop("_dur_us") * US)
        for e in s.get("events", []):
            e["timeUnixNano"] = str(t0 + e.pop("_at_us") * US)
            if not e["attributes"]:
                del e["attributes"]
    return spans


RESOURCES = {
    "frontend": {
        "service.name": "frontend",
        "service.namespace": "shop",
        "service.version": "1.4.2",
        "host.name": "frontend-1",
        "deployment.environment.name": "production",
        "telemetry.sdk.language": "go",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.version": "1.38.0",
    },
    "frontend-2": {
        "service.name": "frontend",
        "service.namespace": "shop",
        "service.version": "1.4.2",
        "host.name": "frontend-2",
        "deployment.environment.name": "production",
        "telemetry.sdk.language": "go",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.version": "1.38.0",
    },
    "checkout": {
        "service.name": "checkout",
        "service.version": "2.0.1",
        "host.name": "checkout-1",
        "process.pid": 4242,
        "telemetry.sdk.language": "java",
    },
    "payments": {
        "service.name": "payments",
        "service.version": "0.9.0",
        "host.name": "payments-1",
        "cloud.region": "eu-west-1",
        "telemetry.sdk.language": "python",
    },
    "inventory": {
        "service.name": "inventory",
        "host.name": "inventory-1",
        "telemetry.sdk.language": "rust",
    },
}

# Trace ids: T3 is a 64-bit id (high half zero), the others 128-bit.
T1 = "5b8efff798038103d269b633813fc60c"
T2 = "0af7651916cd43dd8448eb211c80319c"
T3 = "00000000000000006b221d5bc9e6496c"
T4 = "4bf92f3577b34da6a3ce929d0e0e4736"
T5 = "1e223ff1f80f1c9f8a3bb0f0a1c2d3e4"
T6 = "f0e1d2c3b4a5968778695a4b3c2d1e0f"

# (resource key, scope (name, version), span) triples.
SPANS = []


def add(resource, scope, spans):
    for s in spans:
        SPANS.append((resource, scope, s))


HTTP = ("shop/http", "0.3.0")
RPC = ("shop/rpc", "0.3.0")
MSG = ("shop/messaging", "")
DB = ("shop/db", "1.1.0")
JOBS = ("shop/jobs", "")

# T1: a successful checkout across all four services (HTTP, gRPC, Kafka producer -> consumer).
t1 = trace(0, [
    span(T1, "a1b2c3d4e5f60001", "", "GET /checkout", "SERVER", 0, 250_000, {
        "http.request.method": "GET", "http.route": "/checkout", "url.path": "/checkout",
        "http.response.status_code": 200, "user_agent.original": "curl/8.5.0"}),
    span(T1, "a1b2c3d4e5f60002", "a1b2c3d4e5f60001", "POST /api/checkout", "CLIENT", 10_000, 230_000, {
        "http.request.method": "POST", "http.response.status_code": 200, "peer.service": "checkout",
        "server.address": "checkout.internal", "server.port": 8080}),
    span(T1, "b1b2c3d4e5f60001", "a1b2c3d4e5f60002", "POST /api/checkout", "SERVER", 12_000, 226_000, {
        "http.request.method": "POST", "http.route": "/api/checkout", "http.response.status_code": 200,
        "order.id": "ord-1001", "order.items": 3, "order.total": 129.95, "order.gift": False,
        "order.skus": ["sku-1", "sku-2", "sku-3"]},
        events=[(15_000, "order.validated", {"rule.count": 4})], trace_state="shop=checkout-1"),
    span(T1, "b1b2c3d4e5f60002", "b1b2c3d4e5f60001", "compute-total", "INTERNAL", 20_000, 10_000, {
        "currency": "EUR", "discount.applied": True}, dropped_attributes=2),
    span(T1, "b1b2c3d4e5f60003", "b1b2c3d4e5f60001", "charge", "CLIENT", 40_000, 120_000, {
        "rpc.system": "grpc", "rpc.service": "PaymentService", "rpc.method": "Charge",
        "peer.service": "payments", "server.address": "payments.internal", "server.port": 50051}),
    span(T1, "c1b2c3d4e5f60001", "b1b2c3d4e5f60003", "PaymentService/Charge", "SERVER", 45_000, 110_000, {
        "rpc.system": "grpc", "rpc.service": "PaymentService", "rpc.method": "Charge",
        "rpc.grpc.status_code": 0},
        events=[(140_000, "card.authorized", {"card.brand": "visa", "auth.code": "A1B2"})], status=("OK", "")),
    span(T1, "b1b2c3d4e5f60004", "b1b2c3d4e5f60001", "orders publish", "PRODUCER", 170_000, 5_000, {
        "messaging.system": "kafka", "messaging.destination.name": "orders", "messaging.operation.type": "send",
        "peer.service": "kafka", "server.address": "kafka.internal", "server.port": 9092}),
    span(T1, "d1b2c3d4e5f60001", "b1b2c3d4e5f60004", "orders process", "CONSUMER", 180_000, 50_000, {
        "messaging.system": "kafka", "messaging.destination.name": "orders", "messaging.operation.type": "process",
        "messaging.kafka.offset": 77}),
])
add("frontend", HTTP, t1[0:2])
add("checkout", HTTP, t1[2:3])
add("checkout", JOBS, t1[3:4])
add("checkout", RPC, t1[4:5])
add("payments", RPC, t1[5:6])
add("checkout", MSG, t1[6:7])
add("inventory", MSG, t1[7:8])

# T2: a cart page failing on an inventory database timeout (errors with and without messages, exception event).
t2 = trace(60, [
    span(T2, "e1b2c3d4e5f60001", "", "GET /cart", "SERVER", 0, 520_000, {
        "http.request.method": "GET", "http.route": "/cart", "http.response.status_code": 504},
        status=("ERROR", "")),
    span(T2, "e1b2c3d4e5f60002", "e1b2c3d4e5f60001", "GET /inventory/items", "CLIENT", 5_000, 500_000, {
        "http.request.method": "GET", "peer.service": "inventory", "server.address": "inventory.internal",
        "server.port": 8081},
        events=[(505_000, "exception", {"exception.type": "TimeoutError",
                                        "exception.message": "deadline exceeded after 500ms",
                                        "exception.escaped": True})],
        status=("ERROR", "deadline exceeded")),
    span(T2, "f1b2c3d4e5f60001", "e1b2c3d4e5f60002", "GET /items/{id}", "SERVER", 8_000, 490_000, {
        "http.request.method": "GET", "http.route": "/items/{id}", "http.response.status_code": 500},
        status=("ERROR", "db timeout")),
    span(T2, "f1b2c3d4e5f60002", "f1b2c3d4e5f60001", "SELECT items", "CLIENT", 10_000, 485_000, {
        "db.system.name": "postgresql", "db.namespace": "inventory",
        "db.query.text": "SELECT * FROM items WHERE id = $1", "peer.service": "postgres",
        "server.address": "db.internal", "server.port": 5432},
        status=("ERROR", "canceling statement due to statement timeout")),
])
add("frontend", HTTP, t2[0:2])
add("inventory", HTTP, t2[2:3])
add("inventory", DB, t2[3:4])

# T3: a 64-bit trace id; a long batch job with attributes of every type and a call to an uninstrumented service.
t3 = trace(120, [
    span(T3, "0a1b2c3d4e5f6071", "", "reconcile", "INTERNAL", 0, 1_500_000, {
        "batch.size": 250, "batch.ratio": 0.75, "dry_run": True, "accounts": [1, 2, 3],
        "payload": b"hello", "job": {"name": "nightly", "attempt": 2}},
        events=[(0, "batch.start", {}), (1_500_000, "batch.end", {"records": 250})]),
    span(T3, "0a1b2c3d4e5f6072", "0a1b2c3d4e5f6071", "POST /ledger", "CLIENT", 100_000, 300_000, {
        "http.request.method": "POST", "http.response.status_code": 201, "peer.service": "ledger",
        "server.address": "ledger.internal", "server.port": 443}),
])
add("payments", JOBS, t3[0:1])
add("payments", HTTP, t3[1:2])

# T4: a slow, declined checkout (long duration, errors on both sides of the call).
t4 = trace(180, [
    span(T4, "a4b2c3d4e5f60001", "", "POST /api/checkout", "SERVER", 0, 2_000_000, {
        "http.request.method": "POST", "http.route": "/api/checkout", "http.response.status_code": 402,
        "order.id": "ord-1002"},
        status=("ERROR", "payment declined")),
    span(T4, "a4b2c3d4e5f60002", "a4b2c3d4e5f60001", "charge", "CLIENT", 50_000, 1_900_000, {
        "rpc.system": "grpc", "rpc.service": "PaymentService", "rpc.method": "Charge",
        "peer.service": "payments", "server.address": "payments.internal", "server.port": 50051},
        status=("ERROR", "")),
    span(T4, "c4b2c3d4e5f60001", "a4b2c3d4e5f60002", "PaymentService/Charge", "SERVER", 60_000, 1_880_000, {
        "rpc.system": "grpc", "rpc.service": "PaymentService", "rpc.method": "Charge",
        "rpc.grpc.status_code": 9},
        events=[(1_900_000, "exception", {"exception.type": "CardDeclined",
                                          "exception.message": "insufficient funds"})],
        status=("ERROR", "card declined")),
])
add("checkout", HTTP, t4[0:1])
add("checkout", RPC, t4[1:2])
add("payments", RPC, t4[2:3])

# T5: a fast item lookup, linked to the failed T2 request it retries.
t5 = trace(240, [
    span(T5, "f5b2c3d4e5f60001", "", "GET /items/{id}", "SERVER", 0, 35_000, {
        "http.request.method": "GET", "http.route": "/items/{id}", "http.response.status_code": 200},
        links=[(T2, "e1b2c3d4e5f60001", {"link.reason": "retry"})], status=("OK", "")),
    span(T5, "f5b2c3d4e5f60002", "f5b2c3d4e5f60001", "SELECT items", "CLIENT", 5_000, 25_000, {
        "db.system.name": "postgresql", "db.namespace": "inventory",
        "db.query.text": "SELECT * FROM items WHERE id = $1", "peer.service": "postgres",
        "server.address": "db.internal", "server.port": 5432}),
])
add("inventory", HTTP, t5[0:1])
add("inventory", DB, t5[1:2])

# T6: a 2 ms health check from a second frontend instance (same service, other resource attributes).
t6 = trace(300, [
    span(T6, "f6b2c3d4e5f60001", "", "GET /health", "SERVER", 0, 2_000, {
        "http.request.method": "GET", "http.route": "/health", "http.response.status_code": 200}),
])
add("frontend-2", HTTP, t6)


def request():
    """Groups SPANS by resource then scope, in first-seen order, into one ExportTraceServiceRequest."""
    out = []
    for res_key, scope, s in SPANS:
        rs = next((r for r in out if r["_key"] == res_key), None)
        if rs is None:
            rs = {"_key": res_key, "resource": {"attributes": attrs(RESOURCES[res_key])}, "scopeSpans": []}
            out.append(rs)
        ss = next((x for x in rs["scopeSpans"] if x["_scope"] == scope), None)
        if ss is None:
            sc = {"name": scope[0]}
            if scope[1]:
                sc["version"] = scope[1]
            ss = {"_scope": scope, "scope": sc, "spans": []}
            rs["scopeSpans"].append(ss)
        ss["spans"].append(s)
    for rs in out:
        del rs["_key"]
        for ss in rs["scopeSpans"]:
            del ss["_scope"]
    return {"resourceSpans": out}


if __name__ == "__main__":
    root = pathlib.Path(__file__).resolve().parents[2]
    dest = root / "bridge/tests/fixtures/query/input/traces.otlp.json"
    dest.write_text(json.dumps(request(), indent=2) + "\n")
    print(f"wrote {dest} ({len(SPANS)} spans)")
