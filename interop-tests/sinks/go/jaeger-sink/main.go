// jaeger-sink: a Jaeger collector's `POST /api/traces` (Thrift binary Batch) and gRPC
// `jaeger.api_v2.CollectorService/PostSpans`, decoded with the Jaeger project's own Go types.
//
//	interop-tests/.venv/go/jaeger-sink PORT        (PORT 0: any free port; built by interop-tests/setup.sh)
//
// One port serves both, over HTTP/1.1 and h2c (HTTP/2 with prior knowledge), as the sink needs no TLS:
//   - POST /api/traces: Apache Thrift's Go TDeserializer (TBinaryProtocol) into jaeger-idl's
//     thrift-gen/jaeger.Batch, as the Jaeger collector's HTTP handler reads it (required fields are
//     checked by the generated code). Answers 202.
//   - POST /jaeger.api_v2.CollectorService/PostSpans (gRPC): the length-prefixed message (gzip when
//     grpc-encoding says so) unmarshalled into jaeger-idl's proto-gen/api_v2.PostSpansRequest, the gogo
//     types the Jaeger collector uses (model/v1: TraceID/SpanID with their own length checks). Answers an
//     empty PostSpansResponse with grpc-status 0, or grpc-status 3 (InvalidArgument) when it cannot decode.
//
// Prints on stdout, one JSON line each, the forms of interop-tests/sinks/python/jaeger_thrift_http_sink.py
// ("format": "thrift") and jaeger_grpc_sink.py ("format": "proto"):
//
//	{"listening": "127.0.0.1:NNNN"}
//	{"span": S, "request": N, "format": "thrift"|"proto", "content_type": "...", "grpc_encoding": "..." (gRPC)}
//	{"error": "...", "request": N}
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/apache/thrift/lib/go/thrift"
	model "github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"github.com/jaegertracing/jaeger-idl/thrift-gen/jaeger"
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

func nextRequest() int {
	mu.Lock()
	defer mu.Unlock()
	requests++
	return requests
}

func hex64(v int64) string { return fmt.Sprintf("%016x", uint64(v)) }

// ---- Thrift

func thriftTag(t *jaeger.Tag, problems *[]string) map[string]any {
	var value any
	set := map[string]bool{"vStr": t.VStr != nil, "vDouble": t.VDouble != nil, "vBool": t.VBool != nil,
		"vLong": t.VLong != nil, "vBinary": t.VBinary != nil}
	field := ""
	switch t.VType {
	case jaeger.TagType_STRING:
		field = "vStr"
		if t.VStr != nil {
			value = *t.VStr
		}
	case jaeger.TagType_DOUBLE:
		field = "vDouble"
		if t.VDouble != nil {
			value = *t.VDouble
		}
	case jaeger.TagType_BOOL:
		field = "vBool"
		if t.VBool != nil {
			value = *t.VBool
		}
	case jaeger.TagType_LONG:
		field = "vLong"
		if t.VLong != nil {
			value = *t.VLong
		}
	case jaeger.TagType_BINARY:
		field = "vBinary"
		if t.VBinary != nil {
			value = base64.StdEncoding.EncodeToString(t.VBinary)
		}
	default:
		*problems = append(*problems, fmt.Sprintf("tag %q: unknown vType %d", t.Key, t.VType))
	}
	if field != "" && !set[field] {
		*problems = append(*problems, fmt.Sprintf("tag %q: vType %s but %s not set", t.Key, t.VType, field))
	}
	for f, isSet := range set {
		if isSet && f != field {
			*problems = append(*problems, fmt.Sprintf("tag %q: vType %s but also %s set", t.Key, t.VType, f))
		}
	}
	return map[string]any{"key": t.Key, "type": t.VType.String(), "value": value}
}

func thriftSpan(s *jaeger.Span, process map[string]any, problems []string) map[string]any {
	tags := []map[string]any{}
	for _, t := range s.Tags {
		tags = append(tags, thriftTag(t, &problems))
	}
	logs := []map[string]any{}
	for _, l := range s.Logs {
		fields := []map[string]any{}
		for _, f := range l.Fields {
			fields = append(fields, thriftTag(f, &problems))
		}
		logs = append(logs, map[string]any{"timestamp_us": l.Timestamp, "fields": fields})
	}
	refs := []map[string]any{}
	for _, r := range s.References {
		refs = append(refs, map[string]any{"ref_type": r.RefType.String(),
			"trace_id": hex64(r.TraceIdHigh) + hex64(r.TraceIdLow), "span_id": hex64(r.SpanId)})
	}
	return map[string]any{
		"trace_id": hex64(s.TraceIdHigh) + hex64(s.TraceIdLow), "trace_id_high": hex64(s.TraceIdHigh),
		"trace_id_low": hex64(s.TraceIdLow), "span_id": hex64(s.SpanId), "parent_span_id": hex64(s.ParentSpanId),
		"operation_name": s.OperationName, "flags": s.Flags, "start_us": s.StartTime, "duration_us": s.Duration,
		"tags": tags, "logs": logs, "references": refs, "process": process, "problems": problems,
	}
}

func postTraces(w http.ResponseWriter, r *http.Request) {
	n := nextRequest()
	body, err := io.ReadAll(r.Body)
	if err == nil {
		batch := jaeger.NewBatch()
		if err = thrift.NewTDeserializer().Read(context.Background(), batch, body); err == nil {
			problems := []string{}
			tags := []map[string]any{}
			for _, t := range batch.Process.Tags {
				tags = append(tags, thriftTag(t, &problems))
			}
			process := map[string]any{"service_name": batch.Process.ServiceName, "tags": tags}
			for _, s := range batch.Spans {
				emit(map[string]any{"span": thriftSpan(s, process, append([]string{}, problems...)),
					"request": n, "format": "thrift", "content_type": r.Header.Get("Content-Type")})
			}
			w.WriteHeader(http.StatusAccepted)
			return
		}
	}
	emit(map[string]any{"error": err.Error(), "request": n, "path": r.URL.Path})
	http.Error(w, err.Error(), http.StatusBadRequest)
}

// ---- gRPC (api_v2 protobuf)

func protoTag(kv model.KeyValue, problems *[]string) map[string]any {
	values := map[model.ValueType]any{model.ValueType_STRING: kv.VStr, model.ValueType_BOOL: kv.VBool,
		model.ValueType_INT64: kv.VInt64, model.ValueType_FLOAT64: kv.VFloat64,
		model.ValueType_BINARY: base64.StdEncoding.EncodeToString(kv.VBinary)}
	nonZero := map[model.ValueType]bool{model.ValueType_STRING: kv.VStr != "", model.ValueType_BOOL: kv.VBool,
		model.ValueType_INT64: kv.VInt64 != 0, model.ValueType_FLOAT64: kv.VFloat64 != 0,
		model.ValueType_BINARY: len(kv.VBinary) > 0}
	value, known := values[kv.VType]
	if !known {
		*problems = append(*problems, fmt.Sprintf("tag %q: unknown v_type %d", kv.Key, kv.VType))
	}
	for t, isSet := range nonZero {
		if isSet && t != kv.VType {
			*problems = append(*problems, fmt.Sprintf("tag %q: v_type %s but also %s set", kv.Key, kv.VType, t))
		}
	}
	return map[string]any{"key": kv.Key, "type": kv.VType.String(), "value": value}
}

func protoProcess(p *model.Process, problems *[]string) map[string]any {
	tags := []map[string]any{}
	for _, t := range p.Tags {
		tags = append(tags, protoTag(t, problems))
	}
	return map[string]any{"service_name": p.ServiceName, "tags": tags}
}

func protoSpan(s *model.Span, batchProcess map[string]any) map[string]any {
	problems := []string{}
	tags := []map[string]any{}
	for _, t := range s.Tags {
		tags = append(tags, protoTag(t, &problems))
	}
	logs := []map[string]any{}
	for _, l := range s.Logs {
		fields := []map[string]any{}
		for _, f := range l.Fields {
			fields = append(fields, protoTag(f, &problems))
		}
		logs = append(logs, map[string]any{"timestamp_ns": l.Timestamp.UnixNano(), "fields": fields})
	}
	refs := []map[string]any{}
	for _, r := range s.References {
		refs = append(refs, map[string]any{"ref_type": r.RefType.String(),
			"trace_id": fmt.Sprintf("%016x%016x", r.TraceID.High, r.TraceID.Low), "span_id": r.SpanID.String()})
	}
	process := batchProcess
	if s.Process != nil {
		process = protoProcess(s.Process, &problems)
	}
	warnings := s.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	return map[string]any{
		"trace_id": fmt.Sprintf("%016x%016x", s.TraceID.High, s.TraceID.Low), "span_id": s.SpanID.String(),
		"operation_name": s.OperationName, "flags": uint32(s.Flags), "start_ns": s.StartTime.UnixNano(),
		"duration_ns": s.Duration.Nanoseconds(), "tags": tags, "logs": logs, "references": refs,
		"process": process, "own_process": s.Process != nil, "process_id": s.ProcessID, "warnings": warnings,
		"problems": problems,
	}
}

func grpcStatus(w http.ResponseWriter, code int, message string) {
	w.Header().Set("Grpc-Status", fmt.Sprint(code))
	w.Header().Set("Grpc-Message", message)
}

func postSpans(w http.ResponseWriter, r *http.Request) {
	n := nextRequest()
	w.Header().Set("Content-Type", "application/grpc")
	w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
	request, err := readGrpcMessage(r)
	if err == nil {
		var req api_v2.PostSpansRequest
		if err = req.Unmarshal(request); err == nil {
			process := map[string]any{"service_name": "", "tags": []map[string]any{}}
			if req.Batch.Process != nil {
				process = protoProcess(req.Batch.Process, &[]string{})
			}
			for _, s := range req.Batch.Spans {
				emit(map[string]any{"span": protoSpan(s, process), "request": n, "format": "proto",
					"content_type": r.Header.Get("Content-Type"), "grpc_encoding": r.Header.Get("Grpc-Encoding")})
			}
			response, _ := (&api_v2.PostSpansResponse{}).Marshal()
			frame := make([]byte, 5, 5+len(response))
			binary.BigEndian.PutUint32(frame[1:], uint32(len(response)))
			w.WriteHeader(http.StatusOK)
			w.Write(append(frame, response...))
			grpcStatus(w, 0, "")
			return
		}
	}
	emit(map[string]any{"error": err.Error(), "request": n, "path": r.URL.Path})
	w.WriteHeader(http.StatusOK)
	grpcStatus(w, 3, err.Error())
}

// readGrpcMessage reads the one length-prefixed message of a unary call.
func readGrpcMessage(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if len(body) < 5 {
		return nil, fmt.Errorf("gRPC body of %d bytes, shorter than a frame header", len(body))
	}
	size := binary.BigEndian.Uint32(body[1:5])
	if int(size) != len(body)-5 {
		return nil, fmt.Errorf("gRPC frame says %d bytes, body has %d (one message expected)", size, len(body)-5)
	}
	message := body[5:]
	if body[0] == 1 {
		if enc := r.Header.Get("Grpc-Encoding"); enc != "gzip" {
			return nil, fmt.Errorf("compressed gRPC message with grpc-encoding %q", enc)
		}
		gz, err := gzip.NewReader(bytes.NewReader(message))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(gz)
	}
	return message, nil
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
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/traces", postTraces)
	mux.HandleFunc("POST /jaeger.api_v2.CollectorService/PostSpans", postSpans)
	server := &http.Server{Handler: mux}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	server.Protocols = &protocols
	emit(map[string]any{"listening": listener.Addr().String()})
	if err := server.Serve(listener); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
