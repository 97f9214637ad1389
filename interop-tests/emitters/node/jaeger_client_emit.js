'use strict';
// Node jaeger-client 3.19.0 (OpenTracing).
//
//   node jaeger_client_emit.js udp-binary HOST:PORT RUN_ID      UDPSender: Thrift BINARY Agent.emitBatch
//                                                               in one datagram (the 6832 port)
//   node jaeger_client_emit.js http-thrift http://HOST:PORT RUN_ID
//                                                               HTTPSender: bare binary Batch POSTed
//                                                               to TARGET/api/traces
//
// Sends interop-root (SERVER, typed tags, one log) → interop-child (CLIENT, error=true) →
// interop-leaf (no span.kind, so INTERNAL), then prints ONE JSON line on stdout saying what it
// sent, in OTLP terms (the format is described in ../python/emit_common.py). JavaScript numbers
// are sent as DOUBLE tags, so -42 arrives as a double.
const { initTracer } = require('jaeger-client');

const MODES = ['udp-binary', 'http-thrift'];
const [mode, target, runId] = process.argv.slice(2);
if (process.argv.length !== 5 || !MODES.includes(mode)) {
  console.error(`usage: node jaeger_client_emit.js {${MODES.join('|')}} TARGET RUN_ID`);
  process.exit(2);
}

const errors = [];
const logger = { info() {}, error(msg) { errors.push(String(msg)); console.error(msg); } };
let reporter;
if (mode === 'udp-binary') {
  const hostPort = target.replace(/^[a-z]+:\/\//, '');
  const i = hostPort.lastIndexOf(':');
  reporter = { agentHost: hostPort.slice(0, i), agentPort: Number(hostPort.slice(i + 1)) };
} else {
  const base = target.includes('://') ? target.replace(/\/+$/, '') : `http://${target}`;
  reporter = { collectorEndpoint: `${base}/api/traces` };
}
reporter.flushIntervalMs = 60000; // flushed by close(), in one batch
reporter.logSpans = false;

const service = `interop-node-jaeger-${mode}-${runId}`;
const tracer = initTracer(
  { serviceName: service, sampler: { type: 'const', param: 1 }, reporter },
  { traceId128bit: true, tags: { 'interop.process.str': 'proc-value', hostname: 'interop-host' }, logger },
);

// A whole second a little in the past, plus eighths of a second: whole milliseconds, exact.
const T0_MS = (Math.floor(Date.now() / 1000) - 5) * 1000;
const atMs = (eighths) => T0_MS + eighths * 125;
const atNs = (eighths) => (BigInt(atMs(eighths)) * 1000000n).toString();

const root = tracer.startSpan('interop-root', { startTime: atMs(0) });
root.setTag('span.kind', 'server');
root.setTag('interop.run_id', runId);
root.setTag('interop.str', 'hello interop');
root.setTag('interop.bool', true);
root.setTag('interop.int', -42);
root.setTag('interop.double', 2.5);
root.log({ event: 'interop-event', 'interop.event.int': 7, 'interop.event.str': 'ev' }, atMs(2));
const child = tracer.startSpan('interop-child', {
  childOf: root.context(),
  startTime: atMs(1),
  tags: { 'span.kind': 'client', error: true, 'interop.child': 'yes' },
});
const leaf = tracer.startSpan('interop-leaf', { childOf: child.context(), startTime: atMs(2) });
leaf.finish(atMs(3));
child.finish(atMs(4));
root.finish(atMs(6));

const attr = (key, type, value) => ({ key, type, value });
const hex = (buf) => buf.toString('hex');
const sid = (span) => hex(span.context().spanId);

tracer.close(() => {
  if (errors.length) {
    console.error(`jaeger-client reported ${errors.length} error(s); not describing a trace that was not sent`);
    process.exit(1);
  }
  const line = {
    client: `Node jaeger-client (${mode === 'udp-binary' ? 'UDPSender' : 'HTTPSender'})`,
    library: 'jaeger-client',
    version: require('jaeger-client/package.json').version,
    protocol: mode === 'udp-binary'
      ? 'Thrift binary Agent.emitBatch in one UDP datagram'
      : 'Thrift binary Batch POSTed to /api/traces',
    run_id: runId,
    service_name: service,
    trace_id: hex(root.context().traceId),
    resource_attributes: [
      attr('interop.process.str', 'string', 'proc-value'),
      attr('host.name', 'string', 'interop-host'),
      attr('jaeger.version', 'string', `Node-${require('jaeger-client/package.json').version}`),
    ],
    allowed_extra_attributes: [],
    spans: [
      {
        name: 'interop-root', span_id: sid(root), parent_span_id: '', kind: 'SERVER',
        start_time_unix_nano: atNs(0), end_time_unix_nano: atNs(6), status: { code: 'UNSET' },
        attributes: [
          attr('interop.run_id', 'string', runId), attr('interop.str', 'string', 'hello interop'),
          attr('interop.bool', 'bool', true), attr('interop.int', 'double', -42),
          attr('interop.double', 'double', 2.5),
          // the const sampler's own tags, on the root span
          attr('sampler.type', 'string', 'const'), attr('sampler.param', 'bool', true),
        ],
        events: [{
          name: 'interop-event', time_unix_nano: atNs(2),
          attributes: [attr('interop.event.int', 'double', 7), attr('interop.event.str', 'string', 'ev')],
        }],
        links: [],
      },
      {
        name: 'interop-child', span_id: sid(child), parent_span_id: sid(root), kind: 'CLIENT',
        start_time_unix_nano: atNs(1), end_time_unix_nano: atNs(4), status: { code: 'ERROR' },
        attributes: [attr('interop.child', 'string', 'yes')], events: [], links: [],
      },
      {
        name: 'interop-leaf', span_id: sid(leaf), parent_span_id: sid(child), kind: 'INTERNAL',
        start_time_unix_nano: atNs(2), end_time_unix_nano: atNs(3), status: { code: 'UNSET' },
        attributes: [], events: [], links: [],
      },
    ],
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
});
