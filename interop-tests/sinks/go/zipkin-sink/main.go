// zipkin-sink: a Zipkin server's `POST /api/v2/spans`, decoded by openzipkin's own Go library.
//
//	interop-tests/.venv/go/zipkin-sink PORT        (PORT 0: any free port; built by interop-tests/setup.sh)
//
// Decoders, chosen by Content-Type as the Zipkin server does:
//   - application/json: encoding/json into zipkin-go's model.SpanModel (its UnmarshalJSON: hex ids
//     through model.TraceID / model.ID, a span id required, integer µs times, net.IP addresses,
//     string tags). The OpenTelemetry Collector's Zipkin v2 receiver decodes JSON with these types too.
//   - application/x-protobuf: zipkin-go's proto/zipkin_proto3.ParseSpans.
//
// Answers 202, as the Zipkin server does. Prints on stdout, one JSON line each (the form of
// interop-tests/sinks/python/sink_common.py and zipkin_sink.py, without "present"):
//
//	{"listening": "127.0.0.1:NNNN"}
//	{"span": S, "request": N, "format": "json"|"proto"}
//	{"error": "...", "request": N}      (answered 400)
//
// S = trace_id (model.TraceID.String(): 16 hex digits when the high half is zero, else 32), id,
// parent_id, kind, name, timestamp, duration (µs), local_endpoint, remote_endpoint, annotations
// [{timestamp, value}], tags, debug, shared, problems. Absent or empty fields are null.
//
// zipkin-go quirks, as they are: ParseSpans refuses a trace_id that is not 16 bytes (zipkin.proto allows 8
// or 16), takes `debug` from its argument rather than the span, and turns an absent proto kind into
// Kind("SPAN_KIND_UNSPECIFIED"), printed here as null (absent).
package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/proto/zipkin_proto3"
)

var (
	mu       sync.Mutex
	requests int
)

func emit(v any) {
	line, err := json.Marshal(v)
	if err != nil {
		line = []byte(fmt.Sprintf(`{"error": %q}`, err.Error()))
	}
	mu.Lock()
	defer mu.Unlock()
	os.Stdout.Write(append(line, '\n'))
}

func nullIfEmpty[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

func endpoint(e *model.Endpoint) any {
	if e.Empty() {
		return nil
	}
	out := map[string]any{"service_name": nullIfEmpty(e.ServiceName), "ipv4": nil, "ipv6": nil,
		"port": nullIfEmpty(e.Port)}
	if len(e.IPv4) > 0 {
		out["ipv4"] = e.IPv4.String()
	}
	if len(e.IPv6) > 0 {
		out["ipv6"] = e.IPv6.String()
	}
	return out
}

func kind(k model.Kind) any {
	if k == "SPAN_KIND_UNSPECIFIED" {
		return nil
	}
	return nullIfEmpty(string(k))
}

func span(s *model.SpanModel) map[string]any {
	var parent any
	if s.ParentID != nil {
		parent = s.ParentID.String()
	}
	var timestamp any
	if !s.Timestamp.IsZero() {
		timestamp = s.Timestamp.UnixNano() / 1000
	}
	annotations := []map[string]any{}
	for _, a := range s.Annotations {
		annotations = append(annotations, map[string]any{"timestamp": a.Timestamp.UnixNano() / 1000, "value": a.Value})
	}
	tags := s.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return map[string]any{
		"trace_id":        s.TraceID.String(),
		"id":              s.ID.String(),
		"parent_id":       parent,
		"kind":            kind(s.Kind),
		"name":            nullIfEmpty(s.Name),
		"timestamp":       timestamp,
		"duration":        nullIfEmpty(s.Duration.Microseconds()),
		"local_endpoint":  endpoint(s.LocalEndpoint),
		"remote_endpoint": endpoint(s.RemoteEndpoint),
		"annotations":     annotations,
		"tags":            tags,
		"debug":           nullIfEmpty(s.Debug),
		"shared":          nullIfEmpty(s.Shared),
		"problems":        []string{},
	}
}

func decode(r *http.Request, body []byte) ([]*model.SpanModel, string, error) {
	contentType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch contentType {
	case "application/json":
		var spans []*model.SpanModel
		err := json.Unmarshal(body, &spans)
		return spans, "json", err
	case "application/x-protobuf":
		spans, err := zipkin_proto3.ParseSpans(body, false)
		return spans, "proto", err
	}
	return nil, "", fmt.Errorf("unsupported Content-Type %q", contentType)
}

func postSpans(w http.ResponseWriter, r *http.Request) {
	mu.Lock()
	requests++
	n := requests
	mu.Unlock()
	fail := func(err error) {
		emit(map[string]any{"error": err.Error(), "request": n, "path": r.URL.Path})
		http.Error(w, err.Error(), http.StatusBadRequest)
	}
	var reader io.Reader = r.Body
	switch strings.ToLower(r.Header.Get("Content-Encoding")) {
	case "", "identity":
	case "gzip":
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			fail(err)
			return
		}
		reader = gz
	default:
		fail(fmt.Errorf("unknown Content-Encoding %q", r.Header.Get("Content-Encoding")))
		return
	}
	body, err := io.ReadAll(reader)
	if err != nil {
		fail(err)
		return
	}
	spans, format, err := decode(r, body)
	if err != nil {
		fail(err)
		return
	}
	for _, s := range spans {
		emit(map[string]any{"span": span(s), "request": n, "format": format})
	}
	w.WriteHeader(http.StatusAccepted)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s PORT   (0: any free port)\n", os.Args[0])
		os.Exit(2)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	emit(map[string]any{"listening": listener.Addr().String()})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/spans", postSpans)
	if err := http.Serve(listener, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
