use super::*;
use proptest::prelude::*;

/// A HotROD-like trace: frontend calls itself and then the driver service, which follows
/// from the root as well.
const TRACE: &str = r#"{"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spans":[
 {"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"00f067aa0ba902b7","flags":1,
  "operationName":"HTTP GET /dispatch","references":[],
  "startTime":1700000000123456,"duration":250000,
  "tags":[{"key":"http.method","type":"string","value":"GET"},
          {"key":"error","type":"bool","value":false},
          {"key":"http.status_code","type":"int64","value":200},
          {"key":"big","type":"int64","value":"9007199254740993"},
          {"key":"ratio","type":"float64","value":0.25},
          {"key":"blob","type":"binary","value":"AAAwOQ=="}],
  "logs":[{"timestamp":1700000000200000,"fields":[{"key":"event","type":"string","value":"Searching for nearby drivers"},
                                                 {"key":"level","type":"string","value":"info"}]}],
  "processID":"p1","warnings":null},
 {"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"1a2b3c4d5e6f7081","flags":1,
  "operationName":"HTTP GET: /customer",
  "references":[{"refType":"CHILD_OF","traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"00f067aa0ba902b7"}],
  "startTime":1700000000130000,"duration":80000,"tags":[],"logs":[],"processID":"p1","warnings":null},
 {"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"2b3c4d5e6f708192","flags":3,
  "operationName":"/driver.DriverService/FindNearest",
  "references":[{"refType":"CHILD_OF","traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"1a2b3c4d5e6f7081"},
                {"refType":"FOLLOWS_FROM","traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"00f067aa0ba902b7"}],
  "startTime":1700000000211000,"duration":150000,
  "tags":[{"key":"span.kind","type":"string","value":"server"}],
  "logs":[],"processID":"p2","warnings":["clock skew adjusted"]}],
 "processes":{"p1":{"serviceName":"frontend","tags":[{"key":"hostname","type":"string","value":"web-1"},
                                                  {"key":"client-uuid","type":"string","value":"6f1d"}]},
              "p2":{"serviceName":"driver","tags":[{"key":"ip","type":"string","value":"10.0.0.7"}]}},
 "warnings":null}"#;

fn id(hex: &str) -> Vec<u8> {
    let mut v = crate::ids::parse_hex_padded::<16>(hex).unwrap().to_vec();
    if hex.len() <= 16 {
        v.drain(..8);
    }
    v
}

fn decode_ok(input: &str) -> (Vec<Batch>, Vec<Rejection>) {
    decode(input.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn realistic_trace_decodes() {
    let (batches, rejected) =
        decode_ok(&format!(r#"{{"data":[{TRACE}],"total":0,"limit":0,"offset":0,"errors":null}}"#));
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(batches.len(), 1);
    let b = &batches[0];
    assert_eq!(b.process, None);
    assert_eq!(b.spans.len(), 3);
    let [root, child, driver] = [&b.spans[0], &b.spans[1], &b.spans[2]];

    assert_eq!(root.trace_id, id("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(root.span_id, id("00f067aa0ba902b7"));
    assert_eq!(root.operation_name, "HTTP GET /dispatch");
    assert_eq!(root.flags, 1);
    assert!(root.references.is_empty());
    assert_eq!(root.start_time, Some(Timestamp { seconds: 1_700_000_000, nanos: 123_456_000 }));
    assert_eq!(root.duration, Some(Duration { seconds: 0, nanos: 250_000_000 }));
    let tag = |k: &str| root.tags.iter().find(|t| t.key == k).unwrap().clone();
    assert_eq!(
        (tag("http.method").v_type, tag("http.method").v_str.as_str()),
        (ValueType::String as i32, "GET")
    );
    assert_eq!((tag("error").v_type, tag("error").v_bool), (ValueType::Bool as i32, false));
    assert_eq!(
        (tag("http.status_code").v_type, tag("http.status_code").v_int64),
        (ValueType::Int64 as i32, 200)
    );
    assert_eq!(tag("big").v_int64, 9_007_199_254_740_993);
    assert_eq!((tag("ratio").v_type, tag("ratio").v_float64), (ValueType::Float64 as i32, 0.25));
    assert_eq!(
        (tag("blob").v_type, tag("blob").v_binary.clone()),
        (ValueType::Binary as i32, vec![0, 0, 0x30, 0x39])
    );
    assert_eq!(root.logs.len(), 1);
    assert_eq!(
        root.logs[0].timestamp,
        Some(Timestamp { seconds: 1_700_000_000, nanos: 200_000_000 })
    );
    assert_eq!(root.logs[0].fields[0].key, "event");
    assert_eq!(root.logs[0].fields[0].v_str, "Searching for nearby drivers");
    let p1 = root.process.as_ref().unwrap();
    assert_eq!(p1.service_name, "frontend");
    assert_eq!(p1.tags[0].key, "hostname");
    assert_eq!(p1.tags[0].v_str, "web-1");
    assert_eq!(root.process_id, "p1");

    assert_eq!(
        child.references,
        vec![SpanRef {
            trace_id: id("4bf92f3577b34da6a3ce929d0e0e4736"),
            span_id: id("00f067aa0ba902b7"),
            ref_type: SpanRefType::ChildOf as i32,
        }]
    );
    assert_eq!(child.process.as_ref().unwrap().service_name, "frontend");

    assert_eq!(driver.flags, 3);
    assert_eq!(driver.references.len(), 2);
    assert_eq!(driver.references[0].ref_type, SpanRefType::ChildOf as i32);
    assert_eq!(driver.references[0].span_id, id("1a2b3c4d5e6f7081"));
    assert_eq!(driver.references[1].ref_type, SpanRefType::FollowsFrom as i32);
    assert_eq!(driver.references[1].span_id, id("00f067aa0ba902b7"));
    assert_eq!(driver.process.as_ref().unwrap().service_name, "driver");
    assert_eq!(driver.process.as_ref().unwrap().tags[0].v_str, "10.0.0.7");
    assert_eq!(driver.warnings, vec!["clock skew adjusted".to_string()]);
}

#[test]
fn the_accepted_input_shapes_decode_alike() {
    let (expected, _) =
        decode_ok(&format!(r#"{{"data":[{TRACE}],"total":0,"limit":0,"offset":0,"errors":null}}"#));
    for input in [
        format!(r#"{{"data":[{TRACE}]}}"#),
        format!(r#"[{TRACE}]"#),
        TRACE.to_string(),
        format!("\u{feff}{TRACE}"),
    ] {
        let (batches, rejected) = decode_ok(&input);
        assert!(rejected.is_empty());
        assert_eq!(batches, expected, "{}", &input[..20]);
    }
    // Several traces in one response: one batch each, in order.
    let other =
        TRACE.replace("4bf92f3577b34da6a3ce929d0e0e4736", "000000000000000000000000000000aa");
    let (batches, _) = decode_ok(&format!(r#"{{"data":[{TRACE},{other}]}}"#));
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[1].spans[0].trace_id, id("000000000000000000000000000000aa"));
    // An empty search result.
    assert_eq!(decode_ok(r#"{"data":[],"total":0,"limit":0,"offset":0,"errors":null}"#).0, vec![]);
    assert_eq!(decode_ok(r#"{"data":null}"#).0, vec![]);
}

#[test]
fn spans_with_an_embedded_process() {
    // Jaeger's Elasticsearch/Kafka JSON: process inside the span, string-typed values, hex binary,
    // and the deprecated parentSpanID.
    let span = r#"{"traceID":"5af7183fb1d4cf5f","spanID":"3","parentSpanID":"2","operationName":"q",
      "startTime":1,"duration":2,
      "tags":[{"key":"n","type":"int64","value":"42"},{"key":"ok","type":"bool","value":"true"},
              {"key":"f","type":"float64","value":"1.5"},{"key":"b","type":"binary","value":"deadbeef"}],
      "process":{"serviceName":"db","tags":[]}}"#;
    for input in [span.to_string(), format!("[{span}]")] {
        let (batches, rejected) = decode_ok(&input);
        assert!(rejected.is_empty(), "{rejected:?}");
        let s = &batches[0].spans[0];
        assert_eq!(s.trace_id, id("00000000000000005af7183fb1d4cf5f"));
        assert_eq!(s.span_id, id("0000000000000003"));
        assert_eq!(s.process.as_ref().unwrap().service_name, "db");
        assert_eq!(
            s.references,
            vec![SpanRef {
                trace_id: s.trace_id.clone(),
                span_id: id("0000000000000002"),
                ref_type: SpanRefType::ChildOf as i32,
            }]
        );
        assert_eq!(s.tags[0].v_int64, 42);
        assert!(s.tags[1].v_bool);
        assert_eq!(s.tags[2].v_float64, 1.5);
        assert_eq!(s.tags[3].v_binary, vec![0xde, 0xad, 0xbe, 0xef]);
    }
}

#[test]
fn sixty_four_bit_trace_id_reads_as_128_bit_with_zero_high_half() {
    let input = r#"{"data":[{"traceID":"5af7183fb1d4cf5f","spans":[{"traceID":"5af7183fb1d4cf5f","spanID":"5af7183fb1d4cf5f",
      "operationName":"x","startTime":0,"duration":0,"processID":"p1"}],"processes":{"p1":{"serviceName":"s"}}}]}"#;
    let (batches, _) = decode_ok(input);
    let s = &batches[0].spans[0];
    assert_eq!(s.trace_id.len(), 16);
    assert_eq!(&s.trace_id[..8], &[0; 8]);
    assert_eq!(&s.trace_id[8..], &[0x5a, 0xf7, 0x18, 0x3f, 0xb1, 0xd4, 0xcf, 0x5f]);
    // And back out as 16 digits.
    let out = String::from_utf8(encode(&batches)).unwrap();
    assert!(out.contains(r#""traceID":"5af7183fb1d4cf5f","spans""#), "{out}");
}

#[test]
fn bad_spans_are_rejected_with_their_path() {
    let mut doc: serde_json::Value = serde_json::from_str(TRACE).unwrap();
    let spans = doc["spans"].as_array_mut().unwrap();
    let mut bad = spans[2].clone();
    bad["traceID"] = "4bf92f3577b34da6a3ce929d0e0e47zz".into();
    spans.push(bad);
    let mut zero = spans[0].clone();
    zero["spanID"] = "0000000000000000".into();
    spans.push(zero);
    let mut unknown_process = spans[1].clone();
    unknown_process["processID"] = "p9".into();
    spans.push(unknown_process);
    let mut bad_tag = spans[1].clone();
    bad_tag["tags"] = serde_json::json!([{"key":"x","type":"int64","value":"twelve"}]);
    spans.push(bad_tag);
    let mut negative = spans[1].clone();
    negative["duration"] = (-5).into();
    spans.push(negative);
    let mut bad_ref = spans[1].clone();
    bad_ref["references"][0]["refType"] = "PARENT".into();
    spans.push(bad_ref);
    let input = format!(r#"{{"data":[{doc}]}}"#);
    let (batches, rejected) = decode_ok(&input);
    let items: Vec<&str> = rejected.iter().map(|r| r.item.as_str()).collect();
    assert_eq!(
        items,
        [
            "$.data[0].spans[3].traceID",
            "$.data[0].spans[4].spanID",
            "$.data[0].spans[5].processID",
            "$.data[0].spans[6].tags[0].value",
            "$.data[0].spans[7].duration",
            "$.data[0].spans[8].references[0].refType",
        ]
    );
    assert!(rejected[0].reason.contains("not up to 32 hex digits"), "{}", rejected[0].reason);
    assert!(rejected[1].reason.contains("is zero"), "{}", rejected[1].reason);
    assert!(
        rejected[2].reason.contains("\"p9\" is not in the trace's processes"),
        "{}",
        rejected[2].reason
    );
    assert!(rejected[2].reason.contains("(span 1a2b3c4d5e6f7081)"), "{}", rejected[2].reason);
    assert!(rejected[3].reason.contains("64-bit integer"), "{}", rejected[3].reason);
    assert!(rejected[4].reason.contains("negative"), "{}", rejected[4].reason);
    assert_eq!(batches[0].spans.len(), 3, "the good spans are kept");
}

#[test]
fn unknown_process_id_with_embedded_process_uses_it() {
    let input = r#"[{"traceID":"1","spans":[{"spanID":"1","processID":"p7","process":{"serviceName":"inline"}}],
      "processes":{"p1":{"serviceName":"other"}}}]"#;
    let (batches, rejected) = decode_ok(input);
    assert!(rejected.is_empty());
    let s = &batches[0].spans[0];
    assert_eq!(s.trace_id, id("00000000000000000000000000000001"), "falls back to the trace's id");
    assert_eq!(s.process.as_ref().unwrap().service_name, "inline");
}

#[test]
fn broken_and_unexpected_documents() {
    let e = decode(b"{\"data\":[\n{\"traceID\":}]}").unwrap_err();
    assert_eq!(e.format, Format::JaegerJson);
    assert_eq!(e.location, Location::LineColumn { line: 2, column: 12 });
    let e = decode(b"{\"data\":7}").unwrap_err();
    assert_eq!(e.location, Location::JsonPath("$.data".into()));
    let e = decode(b"\"hello\"").unwrap_err();
    assert_eq!(e.location, Location::JsonPath("$".into()));
    let e = decode(br#"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}"#)
        .unwrap_err();
    assert!(e.reason.contains("trace not found"), "{e}");
    assert_eq!(decode(b"").unwrap_err().location, Location::Input);
    // A data entry that is not a trace is one rejection, not the end.
    let (batches, rejected) = decode_ok(&format!(r#"{{"data":[3,{TRACE}]}}"#));
    assert_eq!(rejected[0].item, "$.data[0]");
    assert_eq!(batches.len(), 1);
}

fn process(name: &str) -> Process {
    Process {
        service_name: name.into(),
        tags: vec![KeyValue { key: "host".into(), v_str: "h".into(), ..Default::default() }],
    }
}

#[test]
fn encode_writes_the_query_api_shape() {
    let kv = |key: &str, v_type: ValueType| KeyValue {
        key: key.into(),
        v_type: v_type as i32,
        ..Default::default()
    };
    let span = Span {
        trace_id: id("000000000000000000000000000000ab"),
        span_id: id("00000000000000cd"),
        operation_name: "op \"x\"".into(),
        references: vec![
            SpanRef {
                trace_id: id("000000000000000000000000000000ab"),
                span_id: id("01"),
                ref_type: 0,
            },
            SpanRef {
                trace_id: id("ff0000000000000000000000000000ab"),
                span_id: id("02"),
                ref_type: 1,
            },
        ],
        flags: 1,
        start_time: Some(Timestamp { seconds: 1_700_000_000, nanos: 123_456_789 }),
        duration: Some(Duration { seconds: 1, nanos: 999 }),
        tags: vec![
            KeyValue { v_str: "s".into(), ..kv("str", ValueType::String) },
            KeyValue { v_bool: true, ..kv("b", ValueType::Bool) },
            KeyValue { v_int64: -7, ..kv("i", ValueType::Int64) },
            KeyValue { v_int64: i64::MAX, ..kv("huge", ValueType::Int64) },
            KeyValue { v_float64: 2.5, ..kv("f", ValueType::Float64) },
            KeyValue { v_float64: f64::NAN, ..kv("nan", ValueType::Float64) },
            KeyValue { v_binary: vec![0, 0, 0x30, 0x39], ..kv("bin", ValueType::Binary) },
        ],
        logs: vec![Log {
            timestamp: Some(Timestamp { seconds: 1_700_000_000, nanos: 500_000_000 }),
            fields: vec![KeyValue { v_str: "e".into(), ..kv("event", ValueType::String) }],
        }],
        process: Some(process("svc")),
        process_id: "ignored".into(),
        warnings: vec![],
    };
    let out = String::from_utf8(encode(&[Batch { spans: vec![span], process: None }])).unwrap();
    let expected = concat!(
        r#"{"data":[{"traceID":"00000000000000ab","spans":[{"traceID":"00000000000000ab","spanID":"00000000000000cd","flags":1,"#,
        r#""operationName":"op \"x\"","references":[{"refType":"CHILD_OF","traceID":"00000000000000ab","spanID":"0000000000000001"},"#,
        r#"{"refType":"FOLLOWS_FROM","traceID":"ff0000000000000000000000000000ab","spanID":"0000000000000002"}],"#,
        r#""startTime":1700000000123456,"duration":1000000,"tags":[{"key":"str","type":"string","value":"s"},"#,
        r#"{"key":"b","type":"bool","value":true},{"key":"i","type":"int64","value":-7},"#,
        r#"{"key":"huge","type":"int64","value":"9223372036854775807"},{"key":"f","type":"float64","value":2.5},"#,
        r#"{"key":"nan","type":"float64","value":"NaN"},{"key":"bin","type":"binary","value":"AAAwOQ=="}],"#,
        r#""logs":[{"timestamp":1700000000500000,"fields":[{"key":"event","type":"string","value":"e"}]}],"#,
        r#""processID":"p1","warnings":null}],"processes":{"p1":{"serviceName":"svc","tags":[{"key":"host","type":"string","value":"h"}]}},"#,
        r#""warnings":null}],"total":0,"limit":0,"offset":0,"errors":null}"#,
        "\n"
    );
    assert_eq!(out, expected);
}

#[test]
fn encode_groups_by_trace_and_dedups_processes() {
    let span = |t: &str, s: &str, p: Option<Process>| Span {
        trace_id: id(t),
        span_id: id(s),
        process: p,
        start_time: Some(Timestamp::default()),
        duration: Some(Duration::default()),
        ..Default::default()
    };
    let t1 = "00000000000000000000000000000011";
    let t2 = "00000000000000000000000000000022";
    let batches = [
        Batch {
            spans: vec![span(t1, "01", None), span(t2, "02", None)],
            process: Some(process("a")),
        },
        Batch {
            spans: vec![span(t1, "03", Some(process("b"))), span(t1, "04", Some(process("a")))],
            process: Some(process("c")),
        },
    ];
    let out = encode(&batches);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["traceID"], "0000000000000011");
    assert_eq!(data[0]["spans"].as_array().unwrap().len(), 3);
    let pids: Vec<&str> = data[0]["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["processID"].as_str().unwrap())
        .collect();
    assert_eq!(pids, ["p1", "p2", "p1"]);
    assert_eq!(data[0]["processes"]["p1"]["serviceName"], "a");
    assert_eq!(data[0]["processes"]["p2"]["serviceName"], "b");
    assert_eq!(data[1]["spans"][0]["processID"], "p1");
    assert_eq!(data[1]["processes"]["p1"]["serviceName"], "a");
    assert_eq!((v["total"].clone(), v["errors"].clone()), (0.into(), serde_json::Value::Null));

    // Read back: each span has its process again.
    let (back, rejected) = decode(&out).unwrap();
    assert!(rejected.is_empty());
    let services: Vec<&str> = back
        .iter()
        .flat_map(|b| &b.spans)
        .map(|s| s.process.as_ref().unwrap().service_name.as_str())
        .collect();
    assert_eq!(services, ["a", "b", "a", "a"]);
}

#[test]
fn decode_encode_round_trip() {
    let (batches, _) = decode_ok(TRACE);
    let out = encode(&batches);
    let (again, rejected) = decode(&out).unwrap();
    assert!(rejected.is_empty());
    assert_eq!(again, batches);
    assert_eq!(encode(&again), out);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&input);
    }

    #[test]
    fn mutated_documents_never_panic(cut in 0usize..5000, byte in any::<u8>()) {
        let mut doc = TRACE.as_bytes().to_vec();
        let at = cut % doc.len();
        doc[at] = byte;
        let _ = decode(&doc);
        doc.truncate(at);
        let _ = decode(&doc);
    }
}
