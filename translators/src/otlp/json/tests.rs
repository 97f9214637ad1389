use super::*;
use crate::otlp::attributes;
use crate::otlp::model::{
    any_value::Value, span, status, AnyValue, ArrayValue, InstrumentationScope, KeyValue,
    KeyValueList, Resource, ResourceSpans, ScopeSpans, Span, Status,
};
use proptest::prelude::*;

fn decode_ok(input: &str) -> Decoded {
    json_to_otlp(input.as_bytes()).unwrap_or_else(|e| panic!("decode failed: {e}\n{input}"))
}

fn one_span(d: &Decoded) -> &Span {
    &d.requests[0].resource_spans[0].scope_spans[0].spans[0]
}

fn hex(s: &str) -> Vec<u8> {
    crate::ids::parse_hex_padded::<16>(s).map(|b| b[16 - s.len() / 2..].to_vec()).unwrap()
}

/// The facts of opentelemetry-proto's `examples/trace.json`, written our own way.
const SPEC_EXAMPLE: &str = r#"{"resourceSpans":[{
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},
  "scopeSpans":[{
    "scope":{"name":"my.library","version":"1.0.0",
             "attributes":[{"key":"my.scope.attribute","value":{"stringValue":"some scope attribute"}}]},
    "spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
              "parentSpanId":"EEE19B7EC3C1B173","name":"I'm a server span",
              "startTimeUnixNano":1544712660000000000,"endTimeUnixNano":1544712661000000000,
              "kind":2,"attributes":[{"key":"my.span.attr","value":{"stringValue":"some value"}}]}]}]}]}"#;

#[test]
fn spec_example_decodes() {
    let d = decode_ok(SPEC_EXAMPLE);
    assert!(d.rejected.is_empty());
    assert_eq!(d.requests.len(), 1);
    let rs = &d.requests[0].resource_spans[0];
    let resource = rs.resource.as_ref().unwrap();
    assert_eq!(attributes::get_str(&resource.attributes, "service.name"), Some("my.service"));
    let scope = rs.scope_spans[0].scope.as_ref().unwrap();
    assert_eq!((scope.name.as_str(), scope.version.as_str()), ("my.library", "1.0.0"));
    assert_eq!(
        attributes::get_str(&scope.attributes, "my.scope.attribute"),
        Some("some scope attribute")
    );
    let s = one_span(&d);
    assert_eq!(s.trace_id, hex("5b8efff798038103d269b633813fc60c"));
    assert_eq!(s.span_id, hex("eee19b7ec3c1b174"));
    assert_eq!(s.parent_span_id, hex("eee19b7ec3c1b173"));
    assert_eq!(s.name, "I'm a server span");
    assert_eq!(s.kind, span::SpanKind::Server as i32);
    assert_eq!(s.start_time_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!(s.end_time_unix_nano, 1_544_712_661_000_000_000);
    assert_eq!(attributes::get_str(&s.attributes, "my.span.attr"), Some("some value"));
}

#[test]
fn spec_example_encodes_as_the_spec_writes_it() {
    let d = decode_ok(SPEC_EXAMPLE);
    let out = String::from_utf8(otlp_to_json(&d.requests[0]).bytes).unwrap();
    let expected = concat!(
        r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},"#,
        r#""scopeSpans":[{"scope":{"name":"my.library","version":"1.0.0","attributes":[{"key":"my.scope.attribute","value":{"stringValue":"some scope attribute"}}]},"#,
        r#""spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","#,
        r#""name":"I'm a server span","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","#,
        r#""attributes":[{"key":"my.span.attr","value":{"stringValue":"some value"}}]}]}]}]}"#,
        "\n"
    );
    assert_eq!(out, expected);
}

#[test]
fn every_value_type() {
    let input = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{
        "traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718",
        "attributes":[
          {"key":"s","value":{"stringValue":"text \"quoted\" \u00e9"}},
          {"key":"b","value":{"boolValue":true}},
          {"key":"i_str","value":{"intValue":"-9223372036854775808"}},
          {"key":"i_num","value":{"intValue":42}},
          {"key":"d","value":{"doubleValue":1.5}},
          {"key":"d_int","value":{"doubleValue":3}},
          {"key":"d_str","value":{"doubleValue":"2.25"}},
          {"key":"nan","value":{"doubleValue":"NaN"}},
          {"key":"inf","value":{"doubleValue":"Infinity"}},
          {"key":"ninf","value":{"doubleValue":"-Infinity"}},
          {"key":"bytes","value":{"bytesValue":"AAAwOQ=="}},
          {"key":"bytes_url","value":{"bytesValue":"-_8"}},
          {"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"2"},{}]}}},
          {"key":"map","value":{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":false}},
                                                        {"key":"nested","value":{"arrayValue":{}}}]}}},
          {"key":"empty","value":{}},
          {"key":"null","value":null},
          {"key":"null_member","value":{"stringValue":null}}
        ]}]}]}]}"#;
    let d = decode_ok(input);
    assert!(d.rejected.is_empty(), "{:?}", d.rejected);
    let a = &one_span(&d).attributes;
    let get = |k| attributes::get(a, k).cloned();
    assert_eq!(get("s"), Some(Value::StringValue("text \"quoted\" é".into())));
    assert_eq!(get("b"), Some(Value::BoolValue(true)));
    assert_eq!(get("i_str"), Some(Value::IntValue(i64::MIN)));
    assert_eq!(get("i_num"), Some(Value::IntValue(42)));
    assert_eq!(get("d"), Some(Value::DoubleValue(1.5)));
    assert_eq!(get("d_int"), Some(Value::DoubleValue(3.0)));
    assert_eq!(get("d_str"), Some(Value::DoubleValue(2.25)));
    assert!(matches!(get("nan"), Some(Value::DoubleValue(v)) if v.is_nan()));
    assert_eq!(get("inf"), Some(Value::DoubleValue(f64::INFINITY)));
    assert_eq!(get("ninf"), Some(Value::DoubleValue(f64::NEG_INFINITY)));
    assert_eq!(get("bytes"), Some(Value::BytesValue(vec![0, 0, 0x30, 0x39])));
    assert_eq!(get("bytes_url"), Some(Value::BytesValue(vec![0xfb, 0xff])));
    let arr = ArrayValue {
        values: vec![
            AnyValue { value: Some(Value::StringValue("a".into())) },
            AnyValue { value: Some(Value::IntValue(2)) },
            AnyValue { value: None },
        ],
    };
    assert_eq!(get("arr"), Some(Value::ArrayValue(arr)));
    let map = KeyValueList {
        values: vec![
            attributes::bool("k", false),
            attributes::with_value("nested", Value::ArrayValue(ArrayValue::default())),
        ],
    };
    assert_eq!(get("map"), Some(Value::KvlistValue(map)));
    let kv = |k: &str| a.iter().find(|kv| kv.key == k).unwrap().value.clone();
    assert_eq!(kv("empty"), Some(AnyValue { value: None }));
    assert_eq!(kv("null"), None);
    assert_eq!(kv("null_member"), Some(AnyValue { value: None }));

    // And out again: 64-bit ints as strings, special doubles as strings, bytes as base64.
    let out = String::from_utf8(otlp_to_json(&d.requests[0]).bytes).unwrap();
    for fragment in [
        r#"{"key":"i_str","value":{"intValue":"-9223372036854775808"}}"#,
        r#"{"key":"i_num","value":{"intValue":"42"}}"#,
        r#"{"key":"d_int","value":{"doubleValue":3.0}}"#,
        r#"{"key":"nan","value":{"doubleValue":"NaN"}}"#,
        r#"{"key":"ninf","value":{"doubleValue":"-Infinity"}}"#,
        r#"{"key":"bytes_url","value":{"bytesValue":"+/8="}}"#,
        r#"{"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"2"},{}]}}}"#,
        r#"{"key":"nested","value":{"arrayValue":{}}}"#,
        r#"{"key":"empty","value":{}}"#,
        r#"{"key":"null"}"#,
        r#""text \"quoted\" é""#,
    ] {
        assert!(out.contains(fragment), "missing {fragment} in {out}");
    }
}

#[test]
fn sixty_four_bit_numbers_as_strings_or_numbers_and_enum_names() {
    let input = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
      {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000001",
       "startTimeUnixNano":"18446744073709551615","endTimeUnixNano":1.7e18,
       "kind":"SPAN_KIND_CLIENT","flags":"257","droppedAttributesCount":"3",
       "status":{"code":"STATUS_CODE_ERROR","message":"boom"},
       "events":[{"timeUnixNano":"1700000000000000001","name":"e"}]},
      {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000002",
       "startTimeUnixNano":1700000000000000000,"kind":5,"status":{"code":1}}
    ]}]}]}"#;
    let d = decode_ok(input);
    assert!(d.rejected.is_empty(), "{:?}", d.rejected);
    let spans = &d.requests[0].resource_spans[0].scope_spans[0].spans;
    assert_eq!(spans[0].start_time_unix_nano, u64::MAX);
    assert_eq!(spans[0].end_time_unix_nano, 1_700_000_000_000_000_000);
    assert_eq!(spans[0].kind, span::SpanKind::Client as i32);
    assert_eq!(spans[0].flags, 0x101);
    assert_eq!(spans[0].dropped_attributes_count, 3);
    assert_eq!(
        spans[0].status,
        Some(Status { code: status::StatusCode::Error as i32, message: "boom".into() })
    );
    assert_eq!(spans[0].events[0].time_unix_nano, 1_700_000_000_000_000_001);
    assert_eq!(spans[1].start_time_unix_nano, 1_700_000_000_000_000_000);
    assert_eq!(spans[1].kind, span::SpanKind::Consumer as i32);
    assert_eq!(spans[1].status.as_ref().unwrap().code, status::StatusCode::Ok as i32);

    let out = String::from_utf8(otlp_to_json(&d.requests[0]).bytes).unwrap();
    assert!(
        out.contains(r#""flags":257,"kind":3,"startTimeUnixNano":"18446744073709551615""#),
        "{out}"
    );
    assert!(out.contains(r#""status":{"message":"boom","code":2}"#), "{out}");
    assert!(out.contains(r#""status":{"code":1}"#), "{out}");
}

#[test]
fn bad_numbers_and_enum_names_reject_the_span() {
    let cases = [
        (r#""kind":"SERVER""#, "kind", "expected a span kind"),
        (r#""kind":2147483648"#, "kind", "expected a span kind"),
        (r#""startTimeUnixNano":-1"#, "startTimeUnixNano", "expected an unsigned 64-bit"),
        (r#""startTimeUnixNano":"12abc""#, "startTimeUnixNano", "\"12abc\""),
        (r#""flags":4294967296"#, "flags", "unsigned 32-bit"),
        (r#""flags":1.5"#, "flags", "unsigned 32-bit"),
        (
            r#""attributes":[{"key":"x","value":{"intValue":true}}]"#,
            "attributes[0].value.intValue",
            "found a boolean",
        ),
        (
            r#""attributes":[{"key":"x","value":{"bytesValue":"***"}}]"#,
            "attributes[0].value.bytesValue",
            "not base64",
        ),
        (r#""attributes":{"key":"x"}"#, "attributes", "expected an array, found an object"),
        (r#""status":"ERROR""#, "status", "expected an object, found a string"),
        (r#""events":[{"name":1}]"#, "events[0].name", "expected a string"),
        (
            r#""links":[{"traceId":"01","spanId":"0102030405060708"}]"#,
            "links[0].traceId",
            "not 32 hex digits",
        ),
        (r#""links":[{"spanId":"0102030405060708"}]"#, "links[0].traceId", "missing"),
    ];
    for (field, path, reason) in cases {
        let input = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[
              {{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"00000000000000aa",{field}}},
              {{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"00000000000000bb"}}]}}]}}]}}"#
        );
        let d = decode_ok(&input);
        assert_eq!(d.rejected.len(), 1, "{field}: {:?}", d.rejected);
        let r = &d.rejected[0];
        assert_eq!(r.item, format!("$.resourceSpans[0].scopeSpans[0].spans[0].{path}"), "{field}");
        assert!(r.reason.contains(reason), "{field}: {}", r.reason);
        assert!(r.reason.contains("(span 00000000000000aa)"), "{field}: {}", r.reason);
        let spans = &d.requests[0].resource_spans[0].scope_spans[0].spans;
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].span_id, hex("00000000000000bb"));
    }
}

#[test]
fn ndjson_of_three_requests() {
    let line = |service: &str, span_id: &str| {
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"000000000000000000000000000000ff","spanId":"{span_id}","name":"op-{service}"}}]}}]}}]}}"#
        )
    };
    let input = format!(
        "{}\n\n{}\n{}\n",
        line("a", "0000000000000001"),
        line("b", "000000000000000g"),
        line("c", "0000000000000003")
    );
    let d = decode_ok(&input);
    assert_eq!(d.requests.len(), 3);
    let names: Vec<_> = d
        .requests
        .iter()
        .map(|r| r.resource_spans[0].scope_spans[0].spans.first().map(|s| s.name.clone()))
        .collect();
    assert_eq!(names, [Some("op-a".to_string()), None, Some("op-c".to_string())]);
    assert_eq!(d.rejected.len(), 1);
    assert_eq!(d.rejected[0].item, "line 3: $.resourceSpans[0].scopeSpans[0].spans[0].spanId");
    assert!(d.rejected[0].reason.contains("not 16 hex digits"), "{}", d.rejected[0].reason);

    // Output of several requests, one after another, is NDJSON again.
    let mut text = Vec::new();
    for r in &d.requests {
        text.extend(otlp_to_json(r).bytes);
    }
    assert_eq!(text.iter().filter(|&&b| b == b'\n').count(), 3);
    let again = json_to_otlp(&text).unwrap();
    assert_eq!(again.requests, d.requests);
}

#[test]
fn pretty_printed_single_request_is_one_request() {
    let d = decode_ok(SPEC_EXAMPLE);
    assert_eq!(d.requests.len(), 1);
    // And with a byte-order mark, as the OTel file exporter format prescribes.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(SPEC_EXAMPLE.as_bytes());
    assert_eq!(json_to_otlp(&bom).unwrap(), d);
}

#[test]
fn bad_trace_id_in_the_middle_span_rejects_only_that_span() {
    let span = |t: &str, s: &str| format!(r#"{{"traceId":"{t}","spanId":"{s}","name":"n{s}"}}"#);
    let good_t = "5b8efff798038103d269b633813fc60c";
    let input = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}},{{"spans":[{},{},{},{},{}]}}]}}]}}"#,
        span(good_t, "0000000000000001"),
        span(good_t, "0000000000000002"),
        span(good_t, "0000000000000003"),
        span(good_t, "0000000000000004"),
        span("5b8efff798038103d269b633813fc60", "0000000000000005"),
        span(good_t, "0000000000000006"),
    );
    let d = decode_ok(&input);
    assert_eq!(d.rejected.len(), 1);
    assert_eq!(d.rejected[0].item, "$.resourceSpans[0].scopeSpans[1].spans[3].traceId");
    assert!(d.rejected[0].reason.contains("is not 32 hex digits"), "{}", d.rejected[0].reason);
    assert!(d.rejected[0].reason.contains("span 0000000000000005"), "{}", d.rejected[0].reason);
    let names: Vec<&str> = d.requests[0].resource_spans[0]
        .scope_spans
        .iter()
        .flat_map(|ss| ss.spans.iter().map(|s| s.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            "n0000000000000001",
            "n0000000000000002",
            "n0000000000000003",
            "n0000000000000004",
            "n0000000000000006"
        ]
    );
}

#[test]
fn id_rules() {
    let with_ids = |ids: &str| {
        decode_ok(&format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{{ids}}}]}}]}}]}}"#))
    };
    let reject = |ids: &str, item: &str, reason: &str| {
        let d = with_ids(ids);
        assert_eq!(d.rejected.len(), 1, "{ids}");
        assert_eq!(d.rejected[0].item, format!("$.resourceSpans[0].scopeSpans[0].spans[0].{item}"));
        assert!(d.rejected[0].reason.contains(reason), "{ids}: {}", d.rejected[0].reason);
        assert!(d.requests[0].resource_spans[0].scope_spans[0].spans.is_empty());
    };
    let t = r#""traceId":"0102030405060708090a0b0c0d0e0f10""#;
    let s = r#""spanId":"0102030405060708""#;
    reject(s, "traceId", "traceId is missing");
    reject(&format!(r#"{s},"traceId":"""#), "traceId", "traceId is empty");
    reject(&format!(r#"{s},"traceId":"00000000000000000000000000000000""#), "traceId", "all zeros");
    reject(&format!(r#"{s},"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==""#), "traceId", "not 32 hex digits");
    reject(&format!(r#"{s},"traceId":12"#), "traceId", "expected traceId as a hex string");
    reject(t, "spanId", "spanId is missing");
    reject(&format!(r#"{t},"spanId":"0000000000000000""#), "spanId", "all zeros");
    reject(&format!(r#"{t},{s},"parentSpanId":"01""#), "parentSpanId", "not 16 hex digits");
    // Original proto names are not OTLP/JSON keys: ignored, with a hint in the reason.
    reject(
        r#""trace_id":"0102030405060708090a0b0c0d0e0f10","span_id":"0102030405060708""#,
        "traceId",
        "lowerCamelCase",
    );
    // Empty parentSpanId means a root span; upper-case hex is fine.
    let d = with_ids(&format!(r#"{t},"spanId":"A1B2C3D4E5F60718","parentSpanId":"""#));
    assert!(d.rejected.is_empty());
    assert!(one_span(&d).parent_span_id.is_empty());
    assert_eq!(one_span(&d).span_id, hex("a1b2c3d4e5f60718"));
}

#[test]
fn unknown_fields_are_ignored_everywhere() {
    let input = r#"{"resourceSpans":[{"resource":{"attributes":[],"entityRefs":[{"type":"x"}]},
      "futureField":{"a":[1,2,{"b":null}]},
      "scopeSpans":[{"scope":{"name":"s","extra":1},"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10",
        "spanId":"0102030405060708","newThing":[{"x":"y"}],"name":"ok",
        "attributes":[{"key":"k","value":{"stringValue":"v","futureValue":3}}]}]}]}],
      "partialSuccess":{}}"#;
    let d = decode_ok(input);
    assert!(d.rejected.is_empty());
    let s = one_span(&d);
    assert_eq!(s.name, "ok");
    assert_eq!(attributes::get_str(&s.attributes, "k"), Some("v"));
}

#[test]
fn broken_json_reports_line_and_column() {
    let input = "{\"resourceSpans\":[\n  {\"scopeSpans\": [}\n]}";
    let e = json_to_otlp(input.as_bytes()).unwrap_err();
    assert_eq!(e.format, Format::OtlpJson);
    assert_eq!(e.location, Location::LineColumn { line: 2, column: 19 });
    assert!(!e.reason.contains("at line"), "{}", e.reason);

    // A broken second NDJSON line is reported at its real line.
    let input = "{}\n{\"resourceSpans\":[}\n";
    let e = json_to_otlp(input.as_bytes()).unwrap_err();
    assert_eq!(e.location, Location::LineColumn { line: 2, column: 19 });

    let e = json_to_otlp(b"{\"resourceSpans\":[").unwrap_err();
    assert!(matches!(e.location, Location::LineColumn { line: 1, .. }), "{e}");
    let e = json_to_otlp(b" \n ").unwrap_err();
    assert_eq!(e.location, Location::Input);
}

#[test]
fn wrong_shapes_outside_spans_name_the_json_path() {
    let cases = [
        (r#"[]"#, "$"),
        (r#"{"resourceSpans":{}}"#, "$.resourceSpans"),
        (
            r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":{"intValue":"x"}}]}}]}"#,
            "$.resourceSpans[0].resource.attributes[0].value.intValue",
        ),
        (
            r#"{"resourceSpans":[{"scopeSpans":[{"scope":{"name":7}}]}]}"#,
            "$.resourceSpans[0].scopeSpans[0].scope.name",
        ),
        (
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":"none"}]}]}"#,
            "$.resourceSpans[0].scopeSpans[0].spans",
        ),
    ];
    for (input, path) in cases {
        let e = json_to_otlp(input.as_bytes()).unwrap_err();
        assert_eq!(e.location, Location::JsonPath(path.to_string()), "{input}: {e}");
    }
    let e = json_to_otlp(b"{}\n{\"resourceSpans\":7}").unwrap_err();
    assert_eq!(e.location, Location::JsonPath("line 2: $.resourceSpans".into()), "{e}");
}

#[test]
fn empty_and_null_requests() {
    assert_eq!(decode_ok("{}").requests, vec![ExportTraceServiceRequest::default()]);
    assert_eq!(decode_ok(r#"{"resourceSpans":null}"#).requests[0].resource_spans.len(), 0);
    let d = decode_ok(r#"{"resourceSpans":[{"resource":null,"scopeSpans":[{"spans":[]}]}]}"#);
    assert_eq!(d.requests[0].resource_spans[0].resource, None);
    assert_eq!(
        String::from_utf8(otlp_to_json(&ExportTraceServiceRequest::default()).bytes).unwrap(),
        "{}\n"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut input =
        String::from(r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":"#);
    for _ in 0..400 {
        input.push_str(r#"{"arrayValue":{"values":["#);
    }
    input.push_str(&"]}}".repeat(400));
    input.push_str("}]}}]}");
    assert!(json_to_otlp(input.as_bytes()).is_err());
}

fn rich_request() -> ExportTraceServiceRequest {
    let all_values = vec![
        attributes::string("s", "line\nbreak \"q\" \\ \u{1} ü 🙂"),
        attributes::string("empty", ""),
        attributes::bool("t", true),
        attributes::bool("f", false),
        attributes::int("zero", 0),
        attributes::int("min", i64::MIN),
        attributes::int("max", i64::MAX),
        attributes::double("d", -1234.5e-7),
        attributes::double("dz", 0.0),
        attributes::double("big", 1e300),
        attributes::double("inf", f64::INFINITY),
        attributes::bytes("b", vec![0, 1, 2, 254, 255]),
        attributes::bytes("b0", vec![]),
        attributes::with_value(
            "arr",
            Value::ArrayValue(ArrayValue {
                values: vec![
                    AnyValue { value: Some(Value::IntValue(1)) },
                    AnyValue { value: None },
                    AnyValue {
                        value: Some(Value::KvlistValue(KeyValueList {
                            values: vec![attributes::string("in", "side")],
                        })),
                    },
                ],
            }),
        ),
        attributes::with_value("kv", Value::KvlistValue(KeyValueList::default())),
        KeyValue { key: "unset".into(), value: Some(AnyValue { value: None }) },
        KeyValue { key: "none".into(), value: None },
        KeyValue { key: String::new(), value: None },
    ];
    let span_a = Span {
        trace_id: (1..=16).collect(),
        span_id: vec![0xff; 8],
        trace_state: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE".into(),
        parent_span_id: vec![0, 0, 0, 0, 0, 0, 0, 9],
        flags: 0x301,
        name: "GET /api/ü".into(),
        kind: span::SpanKind::Server as i32,
        start_time_unix_nano: 1_700_000_000_123_456_789,
        end_time_unix_nano: u64::MAX,
        attributes: all_values.clone(),
        dropped_attributes_count: 1,
        events: vec![
            span::Event {
                time_unix_nano: 1_700_000_000_200_000_000,
                name: "exception".into(),
                attributes: vec![attributes::string("exception.message", "boom")],
                dropped_attributes_count: 2,
            },
            span::Event::default(),
        ],
        dropped_events_count: 3,
        links: vec![span::Link {
            trace_id: vec![0xab; 16],
            span_id: vec![0xcd; 8],
            trace_state: "a=b".into(),
            attributes: vec![attributes::string("opentracing.ref_type", "child_of")],
            dropped_attributes_count: 4,
            flags: 1,
        }],
        dropped_links_count: 5,
        status: Some(Status { message: "bad".into(), code: status::StatusCode::Error as i32 }),
    };
    let span_b = Span {
        trace_id: (1..=16).collect(),
        span_id: vec![1; 8],
        kind: 7, // unknown kinds survive: proto3 enums are open
        status: Some(Status::default()),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                resource: Some(Resource { attributes: all_values, dropped_attributes_count: 6 }),
                scope_spans: vec![
                    ScopeSpans {
                        scope: Some(InstrumentationScope {
                            name: "lib".into(),
                            version: "1.2.3".into(),
                            attributes: vec![attributes::int("x", 1)],
                            dropped_attributes_count: 7,
                        }),
                        spans: vec![span_a, span_b.clone()],
                        schema_url: "https://opentelemetry.io/schemas/1.24.0".into(),
                    },
                    ScopeSpans {
                        scope: None,
                        spans: vec![span_b.clone()],
                        schema_url: String::new(),
                    },
                ],
                schema_url: "https://opentelemetry.io/schemas/1.21.0".into(),
            },
            ResourceSpans {
                resource: Some(Resource::default()),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope::default()),
                    spans: vec![span_b],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            },
            ResourceSpans::default(),
        ],
    }
}

#[test]
fn rich_request_round_trips_exactly() {
    let request = rich_request();
    let encoded = otlp_to_json(&request);
    assert!(encoded.rejected.is_empty());
    let text = String::from_utf8(encoded.bytes.clone()).unwrap();
    assert!(text.ends_with('\n'));
    assert_eq!(text.matches('\n').count(), 1, "one line: {text}");
    let decoded = json_to_otlp(&encoded.bytes).unwrap();
    assert!(decoded.rejected.is_empty(), "{:?}", decoded.rejected);
    assert_eq!(decoded.requests, vec![request.clone()]);
    // Writing again gives the same bytes.
    assert_eq!(otlp_to_json(&decoded.requests[0]).bytes, encoded.bytes);
    // And the output is plain JSON that any parser reads.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s = &v["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    assert_eq!(s["traceId"], "0102030405060708090a0b0c0d0e0f10");
    assert_eq!(s["spanId"], "ffffffffffffffff");
    assert_eq!(s["flags"], 0x301);
    assert_eq!(s["kind"], 2);
    assert_eq!(s["endTimeUnixNano"], "18446744073709551615");
    assert_eq!(s["status"]["code"], 2);
    assert_eq!(s["links"][0]["traceId"], "abababababababababababababababab");
    assert_eq!(s["events"][1], serde_json::json!({}));
    let b = &v["resourceSpans"][0]["scopeSpans"][0]["spans"][1];
    assert_eq!(b["status"], serde_json::json!({}));
    assert!(b.get("name").is_none() && b.get("startTimeUnixNano").is_none());
}

#[test]
fn prost_round_trip_agrees() {
    // JSON and protobuf carry the same message.
    use prost::Message;
    let request = rich_request();
    let via_proto = ExportTraceServiceRequest::decode(request.encode_to_vec().as_slice()).unwrap();
    let via_json = json_to_otlp(&otlp_to_json(&via_proto).bytes).unwrap();
    assert_eq!(via_json.requests[0], request);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = json_to_otlp(&input);
    }

    #[test]
    fn json_like_text_never_panics(input in r#"[\[\]{}":,0-9a-fA-F\-. \nresourceSpansscopeSpanstraceIdspanIdvaluesintValue]{0,300}"#) {
        let _ = json_to_otlp(input.as_bytes());
    }

    #[test]
    fn mutated_documents_never_panic(cut in 0usize..2000, byte in any::<u8>()) {
        let mut doc = otlp_to_json(&rich_request()).bytes;
        let at = cut % doc.len();
        doc[at] = byte;
        let _ = json_to_otlp(&doc);
        doc.truncate(at);
        let _ = json_to_otlp(&doc);
    }
}
