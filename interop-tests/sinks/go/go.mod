module otelbridge/interop-tests/sinks/go

go 1.22

require github.com/openzipkin/zipkin-go v0.4.3

require google.golang.org/protobuf v1.33.0 // indirect
