// A Zipkin server's `POST /api/v2/spans`, decoded by the Zipkin server's own codec (io.zipkin.zipkin2:zipkin).
//
//   java -cp interop-tests/.venv/java/lib/zipkin-3.5.1.jar ZipkinJavaSink.java PORT   (PORT 0: any free port)
//
// Decoders, chosen by Content-Type as the Zipkin server does: SpanBytesDecoder.JSON_V2 for
// application/json, SpanBytesDecoder.PROTO3 for application/x-protobuf (gzip bodies unpacked first). Both
// build zipkin2.Span, whose builder normalises as the server stores spans: ids lower-case hex with a 64-bit
// trace id as 16 digits, span `name` and endpoint `serviceName` lower-cased, empty values dropped. Answers
// 202, as the Zipkin server does. Prints on stdout, one JSON line each (the form of
// interop-tests/sinks/python/zipkin_sink.py, without "present"):
//
//   {"listening": "127.0.0.1:NNNN"}
//   {"span": S, "request": N, "format": "json"|"proto", "content_encoding": "gzip"|""}
//   {"error": "...", "request": N}      (answered 400)
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import zipkin2.Annotation;
import zipkin2.Endpoint;
import zipkin2.Span;
import zipkin2.codec.SpanBytesDecoder;

public class ZipkinJavaSink {
  static final AtomicInteger REQUESTS = new AtomicInteger();

  static synchronized void emit(String line) {
    System.out.println(line);
    System.out.flush();
  }

  static String q(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\n': b.append("\\n"); break;
        case '\r': b.append("\\r"); break;
        case '\t': b.append("\\t"); break;
        default:
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
      }
    }
    return b.append('"').toString();
  }

  static String endpoint(Endpoint e) {
    if (e == null) return "null";
    return "{\"service_name\":" + q(e.serviceName()) + ",\"ipv4\":" + q(e.ipv4()) + ",\"ipv6\":"
        + q(e.ipv6()) + ",\"port\":" + e.port() + "}";
  }

  static String span(Span s) {
    StringBuilder annotations = new StringBuilder("[");
    for (Annotation a : s.annotations()) {
      if (annotations.length() > 1) annotations.append(',');
      annotations.append("{\"timestamp\":").append(a.timestamp()).append(",\"value\":").append(q(a.value())).append('}');
    }
    StringBuilder tags = new StringBuilder("{");
    for (Map.Entry<String, String> t : s.tags().entrySet()) {
      if (tags.length() > 1) tags.append(',');
      tags.append(q(t.getKey())).append(':').append(q(t.getValue()));
    }
    return "{\"trace_id\":" + q(s.traceId()) + ",\"id\":" + q(s.id()) + ",\"parent_id\":" + q(s.parentId())
        + ",\"kind\":" + (s.kind() == null ? "null" : q(s.kind().name())) + ",\"name\":" + q(s.name())
        + ",\"timestamp\":" + s.timestamp() + ",\"duration\":" + s.duration()
        + ",\"local_endpoint\":" + endpoint(s.localEndpoint())
        + ",\"remote_endpoint\":" + endpoint(s.remoteEndpoint())
        + ",\"annotations\":" + annotations + "],\"tags\":" + tags + "},\"debug\":" + s.debug()
        + ",\"shared\":" + s.shared() + ",\"problems\":[]}";
  }

  static void postSpans(HttpExchange exchange) throws IOException {
    int request = REQUESTS.incrementAndGet();
    int status = 202;
    byte[] answer = new byte[0];
    try (InputStream in = exchange.getRequestBody()) {
      String encoding = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Encoding"));
      byte[] body = "gzip".equalsIgnoreCase(encoding) ? new GZIPInputStream(in).readAllBytes() : in.readAllBytes();
      String contentType = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"))
          .split(";")[0].trim().toLowerCase();
      SpanBytesDecoder decoder;
      String format;
      if (contentType.equals("application/json")) {
        decoder = SpanBytesDecoder.JSON_V2;
        format = "json";
      } else if (contentType.equals("application/x-protobuf")) {
        decoder = SpanBytesDecoder.PROTO3;
        format = "proto";
      } else {
        throw new IllegalArgumentException("unsupported Content-Type " + contentType);
      }
      List<Span> spans = decoder.decodeList(body);
      for (Span s : spans) {
        emit("{\"span\":" + span(s) + ",\"request\":" + request + ",\"format\":" + q(format)
            + ",\"content_encoding\":" + q("gzip".equalsIgnoreCase(encoding) ? "gzip" : "") + "}");
      }
    } catch (RuntimeException | IOException e) {
      emit("{\"error\":" + q(e.toString()) + ",\"request\":" + request + "}");
      status = 400;
      answer = e.toString().getBytes(StandardCharsets.UTF_8);
    }
    exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
    if (answer.length > 0) exchange.getResponseBody().write(answer);
    exchange.close();
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: ZipkinJavaSink PORT   (0: any free port)");
      System.exit(2);
    }
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 0);
    server.createContext("/api/v2/spans", ZipkinJavaSink::postSpans);
    server.start();
    emit("{\"listening\":" + q("127.0.0.1:" + server.getAddress().getPort()) + "}");
  }
}
