'use strict';
// OpenTelemetry JS SDK 2.12 (sdk-trace-base) with one of its trace exporters.
//
//   node otel_sdk_emit.js otlp-grpc HOST:PORT RUN_ID               @opentelemetry/exporter-trace-otlp-grpc
//   node otel_sdk_emit.js otlp-http-protobuf http://HOST:PORT RUN_ID  exporter-trace-otlp-proto, TARGET/v1/traces
//   node otel_sdk_emit.js otlp-http-json http://HOST:PORT RUN_ID   exporter-trace-otlp-http (OTLP/JSON), TARGET/v1/traces
//   node otel_sdk_emit.js zipkin-json http://HOST:PORT RUN_ID      @opentelemetry/exporter-zipkin, TARGET/api/v2/spans
//
// The trace (the same as ../python/otel_trace.py):
//   interop-root   SERVER    typed attributes (string, bool, int, double), one event with attributes
//     interop-child  CLIENT    status ERROR with a description
//       interop-leaf   INTERNAL  a link (with an attribute) to interop-root
// then ONE JSON line on stdout saying what was sent, in OTLP terms (format: ../python/emit_common.py).
const api = require('@opentelemetry/api');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const MODES = ['otlp-grpc', 'otlp-http-protobuf', 'otlp-http-json', 'zipkin-json'];
const [mode, target, runId] = process.argv.slice(2);
if (process.argv.length !== 5 || !MODES.includes(mode)) {
  console.error(`usage: node otel_sdk_emit.js {${MODES.join('|')}} TARGET RUN_ID`);
  process.exit(2);
}
const base = target.includes('://') ? target.replace(/\/+$/, '') : `http://${target}`;

let library; let exporter; let protocol;
if (mode === 'otlp-grpc') {
  library = '@opentelemetry/exporter-trace-otlp-grpc';
  const { OTLPTraceExporter } = require(library);
  exporter = new OTLPTraceExporter({ url: base });
  protocol = 'OTLP gRPC TraceService/Export';
} else if (mode === 'otlp-http-protobuf') {
  library = '@opentelemetry/exporter-trace-otlp-proto';
  const { OTLPTraceExporter } = require(library);
  exporter = new OTLPTraceExporter({ url: `${base}/v1/traces` });
  protocol = 'OTLP/HTTP protobuf POST /v1/traces';
} else if (mode === 'otlp-http-json') {
  library = '@opentelemetry/exporter-trace-otlp-http';
  const { OTLPTraceExporter } = require(library);
  exporter = new OTLPTraceExporter({ url: `${base}/v1/traces` });
  protocol = 'OTLP/HTTP JSON POST /v1/traces';
} else {
  library = '@opentelemetry/exporter-zipkin';
  const { ZipkinExporter } = require(library);
  exporter = new ZipkinExporter({ url: `${base}/api/v2/spans` });
  protocol = 'Zipkin v2 JSON POST /api/v2/spans';
}
const version = (name) => require(`${name}/package.json`).version;

// The exporter reports the outcome of each export to its callback; a failed export fails the run.
const results = [];
const realExport = exporter.export.bind(exporter);
exporter.export = (spans, done) => realExport(spans, (result) => { results.push(result); done(result); });

const service = `interop-node-otel-${mode}-${runId}`;
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': service, 'interop.resource.str': 'res-value' }),
  // One export for the whole trace: a long delay, flushed by shutdown().
  spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 60000 })],
});
const tracer = provider.getTracer('interop.scope', '1.2.3');

// A whole second a little in the past, plus eighths of a second, as exact HrTime [s, ns].
const T0_S = Math.floor(Date.now() / 1000) - 5;
const hr = (eighths) => [T0_S + Math.floor(eighths / 8), (eighths % 8) * 125000000];
const atNs = (eighths) => (BigInt(T0_S) * 1000000000n + BigInt(eighths) * 125000000n).toString();

const ctx0 = api.ROOT_CONTEXT;
const root = tracer.startSpan('interop-root', {
  kind: api.SpanKind.SERVER,
  startTime: hr(0),
  attributes: {
    'interop.run_id': runId, 'interop.str': 'hello interop', 'interop.bool': true,
    'interop.int': -42, 'interop.double': 2.5,
  },
}, ctx0);
root.addEvent('interop-event', { 'interop.event.int': 7, 'interop.event.str': 'ev' }, hr(2));
const child = tracer.startSpan('interop-child', {
  kind: api.SpanKind.CLIENT, startTime: hr(1), attributes: { 'interop.child': 'yes' },
}, api.trace.setSpan(ctx0, root));
const leaf = tracer.startSpan('interop-leaf', {
  kind: api.SpanKind.INTERNAL, startTime: hr(2),
  links: [{ context: root.spanContext(), attributes: { 'interop.link': 'yes' } }],
}, api.trace.setSpan(ctx0, child));
leaf.end(hr(3));
child.setStatus({ code: api.SpanStatusCode.ERROR, message: 'interop failure' });
child.end(hr(4));
root.end(hr(6));

const attr = (key, type, value) => ({ key, type, value });
const zipkin = mode === 'zipkin-json';
// JS numbers: the OTLP exporters write integers as intValue, others as doubleValue. The Zipkin
// exporter writes every value with String(value).
function typed(key, value) {
  if (zipkin) return attr(key, 'string', String(value));
  if (typeof value === 'boolean') return attr(key, 'bool', value);
  if (typeof value === 'string') return attr(key, 'string', value);
  return attr(key, Number.isInteger(value) ? 'int' : 'double', value);
}
const attrs = (obj) => Object.entries(obj).map(([k, v]) => typed(k, v));

provider.shutdown().then(() => {
  const failed = results.filter((r) => r.code !== 0);
  if (results.length === 0 || failed.length) {
    console.error(`export failed: ${failed.map((r) => String(r.error)).join('; ') || 'nothing exported'}`);
    process.exit(1);
  }
  const sdkVersion = version('@opentelemetry/sdk-trace-base');
  // resourceFromAttributes gives exactly these (the SDK's default resource is not merged in).
  const resource = { 'interop.resource.str': 'res-value' };
  // Zipkin: the exporter repeats the resource, service.name included, as tags of every span.
  const extra = zipkin ? attrs({ ...resource, 'service.name': service }) : [];
  const sid = (span) => span.spanContext().spanId;
  const traceId = root.spanContext().traceId;
  const link = { trace_id: traceId, span_id: sid(root) };
  if (!zipkin) link.attributes = attrs({ 'interop.link': 'yes' });
  const line = {
    client: `Node ${library} (SDK ${sdkVersion})`,
    library,
    version: version(library),
    protocol,
    run_id: runId,
    service_name: service,
    trace_id: traceId,
    resource_attributes: zipkin ? [] : attrs(resource),
    allowed_extra_attributes: [],
    spans: [
      {
        name: 'interop-root', span_id: sid(root), parent_span_id: '', kind: 'SERVER',
        start_time_unix_nano: atNs(0), end_time_unix_nano: atNs(6), status: { code: 'UNSET' },
        attributes: attrs({
          'interop.run_id': runId, 'interop.str': 'hello interop', 'interop.bool': true,
          'interop.int': -42, 'interop.double': 2.5,
        }).concat(extra),
        // Zipkin annotations carry the event name only.
        events: [{
          name: 'interop-event', time_unix_nano: atNs(2),
          attributes: zipkin ? [] : attrs({ 'interop.event.int': 7, 'interop.event.str': 'ev' }),
        }],
        links: [],
      },
      {
        name: 'interop-child', span_id: sid(child), parent_span_id: sid(root), kind: 'CLIENT',
        start_time_unix_nano: atNs(1), end_time_unix_nano: atNs(4),
        status: { code: 'ERROR', message: 'interop failure' },
        attributes: attrs({ 'interop.child': 'yes' }).concat(extra), events: [], links: [],
      },
      {
        name: 'interop-leaf', span_id: sid(leaf), parent_span_id: sid(child), kind: 'INTERNAL',
        start_time_unix_nano: atNs(2), end_time_unix_nano: atNs(3), status: { code: 'UNSET' },
        attributes: extra, events: [], links: zipkin ? [] : [link],
      },
    ],
  };
  // The Zipkin format has no instrumentation scope (and this exporter sends no otel.scope.* tags).
  if (!zipkin) line.scope = { name: 'interop.scope', version: '1.2.3' };
  process.stdout.write(`${JSON.stringify(line)}\n`);
});
