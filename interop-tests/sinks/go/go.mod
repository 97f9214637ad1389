module otelbridge/interop-tests/sinks/go

go 1.26

require (
	github.com/apache/thrift v0.25.0
	github.com/jaegertracing/jaeger-idl v0.14.0
	github.com/openzipkin/zipkin-go v0.4.3
)

require (
	github.com/gogo/googleapis v1.4.1 // indirect
	github.com/gogo/protobuf v1.3.2 // indirect
	golang.org/x/net v0.58.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.41.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260526163538-3dc84a4a5aaa // indirect
	google.golang.org/grpc v1.83.2 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
