//! Prometheus / OpenMetrics expositions → OTLP metrics (`prometheus::to_otlp`), on the public
//! samples of `../shared/corpora` (client_golang's OpenMetrics output, Prometheus' `alltypes`
//! benchmark input, OpenMetrics conformance cases) and on small expositions written here for
//! what the corpora do not hold (trace ids, `target_info`, `otel_scope_*`, stale markers).
//! Every test asserts on the decoded request: names, units, points, buckets, times, ids.

mod common;

use proptest::prelude::*;
use prost::Message as _;
use translators::otlp::attributes;
use translators::otlp::metrics_model::{
    exemplar, metric, number_data_point, AggregationTemporality, ExportMetricsServiceRequest,
    HistogramDataPoint, Metric, NumberDataPoint, Sum, SummaryDataPoint, FLAG_NO_RECORDED_VALUE,
};
use translators::otlp::model::{any_value::Value, KeyValue};
use translators::prometheus::to_otlp::{
    exposition_to_otlp, exposition_to_otlp_with, Converted, DropReason, MappingOptions,
    ScrapeContext, DEFAULT_SCOPE_NAME,
};
use translators::prometheus::{
    parse_openmetrics, parse_openmetrics_lenient, parse_text, parse_text_lenient, stale_nan, Label,
    MetricSet,
};

const SCRAPE_NS: u64 = 1_732_000_000_000_000_000;

fn read(path: &str) -> Option<Vec<u8>> {
    Some(
        std::fs::read(common::shared_corpus("")?.join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}")),
    )
}

fn ctx() -> ScrapeContext<'static> {
    ScrapeContext { scrape_time_ns: SCRAPE_NS, job: "node", instance: "host-1:9100" }
}

fn om(input: &[u8]) -> MetricSet<'_> {
    parse_openmetrics(input).unwrap_or_else(|e| panic!("{e}"))
}

fn om_case(case: &str) -> Option<Converted> {
    let input = read(&format!("openmetrics/{case}/metrics"))?;
    Some(exposition_to_otlp(&om(&input), ctx()))
}

/// Every metric of the request, in order.
fn metrics(request: &ExportMetricsServiceRequest) -> Vec<&Metric> {
    request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .collect()
}

fn metric<'r>(request: &'r ExportMetricsServiceRequest, name: &str) -> &'r Metric {
    metrics(request)
        .into_iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

fn sum(m: &Metric) -> &Sum {
    match &m.data {
        Some(metric::Data::Sum(s)) => s,
        other => panic!("{}: not a sum: {other:?}", m.name),
    }
}

fn gauge(m: &Metric) -> &[NumberDataPoint] {
    match &m.data {
        Some(metric::Data::Gauge(g)) => &g.data_points,
        other => panic!("{}: not a gauge: {other:?}", m.name),
    }
}

fn histogram(m: &Metric) -> &[HistogramDataPoint] {
    match &m.data {
        Some(metric::Data::Histogram(h)) => {
            assert_eq!(h.aggregation_temporality, AggregationTemporality::Cumulative as i32);
            &h.data_points
        }
        other => panic!("{}: not a histogram: {other:?}", m.name),
    }
}

fn summary(m: &Metric) -> &[SummaryDataPoint] {
    match &m.data {
        Some(metric::Data::Summary(s)) => &s.data_points,
        other => panic!("{}: not a summary: {other:?}", m.name),
    }
}

fn value(p: &NumberDataPoint) -> f64 {
    match p.value {
        Some(number_data_point::Value::AsDouble(v)) => v,
        other => panic!("not a double: {other:?}"),
    }
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    attributes::get_str(attrs, key)
}

fn point_with<'p, P>(points: &'p [P], attrs: fn(&P) -> &[KeyValue], key: &str, val: &str) -> &'p P {
    points
        .iter()
        .find(|p| attr(attrs(p), key) == Some(val))
        .unwrap_or_else(|| panic!("no point with {key}={val}"))
}

#[test]
fn client_golang_openmetrics_maps_every_type() {
    let Some(input) = read("prometheus-text/alltypes.5mfs.om.txt") else { return };
    // client_golang writes a negative `_sum` beside negative buckets: the lenient parser keeps it.
    let parsed = parse_openmetrics_lenient(&input);
    let out = exposition_to_otlp(&parsed.set, ctx());
    assert_eq!(out.dropped, vec![], "nothing of this sample is dropped");
    let request = &out.request;
    assert_eq!(request.resource_metrics.len(), 1);
    let rm = &request.resource_metrics[0];
    let resource = &rm.resource.as_ref().unwrap().attributes;
    assert_eq!(attr(resource, "service.name"), Some("node"));
    assert_eq!(attr(resource, "service.instance.id"), Some("host-1:9100"));
    assert_eq!(attr(resource, "server.address"), Some("host-1"));
    assert_eq!(attributes::get(resource, "server.port"), Some(&Value::IntValue(9100)));
    assert_eq!(rm.scope_metrics.len(), 1);
    let scope = rm.scope_metrics[0].scope.as_ref().unwrap();
    assert_eq!(scope.name, DEFAULT_SCOPE_NAME);
    let names: Vec<&str> = metrics(request).iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "go_build_info",
            "promhttp_metric_handler_errors_total",
            "rpc_durations_histogram_seconds",
            "rpc_durations_seconds",
            "rpc_requests_total"
        ]
    );

    // gauge
    let m = metric(request, "go_build_info");
    assert_eq!(m.description, "Build information about the main Go module.");
    assert_eq!(attributes::get_str(&m.metadata, "prometheus.type"), Some("gauge"));
    let points = gauge(m);
    assert_eq!(points.len(), 1);
    assert_eq!(value(&points[0]), 1.0);
    assert_eq!(points[0].time_unix_nano, SCRAPE_NS);
    assert_eq!(points[0].start_time_unix_nano, 0);
    assert_eq!(attr(&points[0].attributes, "checksum"), Some(""));
    assert_eq!(points[0].attributes.len(), 3);

    // counter: monotonic cumulative sum, start time from `_created`
    let m = metric(request, "promhttp_metric_handler_errors_total");
    let s = sum(m);
    assert!(s.is_monotonic);
    assert_eq!(s.aggregation_temporality, AggregationTemporality::Cumulative as i32);
    assert_eq!(s.data_points.len(), 2, "the _created samples are start times, not points");
    let p = point_with(&s.data_points, |p| &p.attributes, "cause", "gathering");
    assert_eq!(value(p), 0.0);
    assert_eq!(p.start_time_unix_nano, 1_726_839_813_016_395_000);
    assert_eq!(p.time_unix_nano, SCRAPE_NS);
    let s = sum(metric(request, "rpc_requests_total"));
    let p = point_with(&s.data_points, |p| &p.attributes, "service", "exponential");
    assert_eq!(value(p), 22.0);
    assert_eq!(p.start_time_unix_nano, 1_726_839_813_016_893_000);

    // histogram: bounds from `le`, per-bucket counts, `+Inf` as the last count
    let m = metric(request, "rpc_durations_histogram_seconds");
    assert_eq!(m.description, "RPC latency distributions.");
    let points = histogram(m);
    assert_eq!(points.len(), 1);
    let h = &points[0];
    assert_eq!(h.explicit_bounds.len(), 20);
    assert_eq!(h.explicit_bounds[0], -0.00099);
    assert_eq!(h.explicit_bounds[19], 0.0009100000000000004);
    assert_eq!(h.bucket_counts, [0, 0, 0, 0, 0, 0, 0, 3, 2, 0, 3, 1, 2, 4, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(h.count, 15);
    assert_eq!(h.bucket_counts.iter().sum::<u64>(), h.count);
    assert_eq!(h.sum, Some(-8.452185437166741e-05));
    assert_eq!(h.start_time_unix_nano, 1_726_839_813_016_302_000);
    assert!(h.attributes.is_empty(), "le is not an attribute");
    assert_eq!(h.exemplars.len(), 6);
    let e = &h.exemplars[0];
    assert_eq!(attr(&e.filtered_attributes, "dummyID"), Some("17783"));
    assert_eq!(e.value, Some(exemplar::Value::AsDouble(-0.0003825067330956884)));
    assert_eq!(e.time_unix_nano, 1_726_839_814_223_908_200);
    assert!(e.trace_id.is_empty() && e.span_id.is_empty());

    // summary: quantiles, count, sum, start
    let points = summary(metric(request, "rpc_durations_seconds"));
    assert_eq!(points.len(), 3);
    let p = point_with(points, |p| &p.attributes, "service", "normal");
    assert_eq!(p.attributes.len(), 1, "quantile is not an attribute");
    assert_eq!(p.count, 15);
    assert_eq!(p.sum, -8.452185437166741e-05);
    assert_eq!(p.start_time_unix_nano, 1_726_839_813_016_714_000);
    let q: Vec<(f64, f64)> = p.quantile_values.iter().map(|q| (q.quantile, q.value)).collect();
    assert_eq!(
        q,
        [
            (0.5, -5.066758674917046e-06),
            (0.9, 0.0002935723711788224),
            (0.99, 0.0003023094636293776)
        ]
    );

    // the request survives the protobuf wire
    let bytes = request.encode_to_vec();
    assert_eq!(&ExportMetricsServiceRequest::decode(&bytes[..]).unwrap(), request);
}

#[test]
fn prometheus_alltypes_text_maps_whole() {
    let Some(input) = read("prometheus-text/alltypes.237mfs.prom.txt") else { return };
    let set = parse_text(&input).unwrap();
    let out = exposition_to_otlp(&set, ctx());
    assert_eq!(out.dropped, vec![]);
    let all = metrics(&out.request);
    assert_eq!(all.len(), 237);
    let mut kinds = [0usize; 4];
    let mut points = 0;
    for m in &all {
        match &m.data {
            Some(metric::Data::Sum(s)) => {
                assert!(s.is_monotonic);
                assert!(m.name.ends_with("_total"), "text counter names are kept: {}", m.name);
                for p in &s.data_points {
                    assert_eq!(
                        p.start_time_unix_nano, 0,
                        "no _created: start unknown, not invented"
                    );
                }
                kinds[0] += 1;
                points += s.data_points.len();
            }
            Some(metric::Data::Gauge(g)) => {
                kinds[1] += 1;
                points += g.data_points.len();
            }
            Some(metric::Data::Histogram(h)) => {
                for p in &h.data_points {
                    assert_eq!(p.bucket_counts.len(), p.explicit_bounds.len() + 1);
                    assert_eq!(p.bucket_counts.iter().sum::<u64>(), p.count, "{}", m.name);
                    assert!(p.explicit_bounds.windows(2).all(|w| w[0] < w[1]));
                }
                kinds[2] += 1;
                points += h.data_points.len();
            }
            Some(metric::Data::Summary(s)) => {
                kinds[3] += 1;
                points += s.data_points.len();
            }
            other => panic!("{}: {other:?}", m.name),
        }
    }
    assert_eq!(kinds, [112, 97, 15, 13]);
    assert!(points > 0);
    let h = &histogram(metric(&out.request, "go_gc_heap_allocs_by_size_bytes"))[0];
    assert_eq!(h.explicit_bounds[0], 8.999999999999998);
    assert_eq!(h.bucket_counts[0], 2_279_966_416);
    assert_eq!(h.bucket_counts[1], 19_429_106_442 - 2_279_966_416);
    let q = &summary(metric(&out.request, "go_gc_duration_seconds"))[0];
    assert_eq!(q.quantile_values[0].quantile, 0.0);
    assert_eq!(q.quantile_values[0].value, 7.6238e-05);
}

#[test]
fn unit_help_and_created_of_an_openmetrics_counter() {
    let Some(out) = om_case("counter_unit") else { return };
    let m = metric(&out.request, "cc_seconds_total");
    assert_eq!(m.unit, "s");
    assert_eq!(m.description, "A counter");
    let p = &sum(m).data_points[0];
    assert_eq!(value(p), 1.0);
    assert_eq!(p.start_time_unix_nano, 123_456_000_000);

    let input = read("openmetrics/counter_unit/metrics").unwrap();
    let trimmed =
        exposition_to_otlp_with(&om(&input), ctx(), MappingOptions { trim_suffixes: true });
    assert_eq!(metrics(&trimmed.request)[0].name, "cc", "_total and the unit suffix trimmed");
}

#[test]
fn stateset_info_and_unknown() {
    let Some(out) = om_case("simple_stateset") else { return };
    let s = sum(metric(&out.request, "a"));
    assert!(!s.is_monotonic, "stateset: non-monotonic sum");
    let states: Vec<(&str, f64)> =
        s.data_points.iter().map(|p| (attr(&p.attributes, "a").unwrap(), value(p))).collect();
    assert_eq!(states, [("bar", 0.0), ("foo", 1.0)]);

    let out = om_case("info_timestamps").unwrap();
    let m = metric(&out.request, "a_info");
    assert_eq!(m.description, "help");
    let s = sum(m);
    assert!(!s.is_monotonic, "info: non-monotonic sum");
    assert_eq!(s.aggregation_temporality, AggregationTemporality::Cumulative as i32);
    let p = point_with(&s.data_points, |p| &p.attributes, "a", "1");
    assert_eq!(attr(&p.attributes, "foo"), Some("bar"));
    assert_eq!((value(p), p.time_unix_nano), (1.0, 1_000_000_000));

    let out = om_case("untyped").unwrap();
    let points = gauge(metric(&out.request, "redis_connected_clients"));
    assert_eq!(points.len(), 2);
    assert_eq!(value(point_with(points, |p| &p.attributes, "port", "6381")), 12.0);
}

#[test]
fn histograms_and_summaries_per_the_spec() {
    let Some(out) = om_case("roundtrip") else { return };
    // `foo`: cumulative buckets de-cumulated, `_created` with its exact decimal
    let h = &histogram(metric(&out.request, "foo"))[0];
    assert_eq!(
        h.explicit_bounds,
        [0.0, 1e-05, 0.0001, 0.1, 1.0, 10.0, 100000.0, 1e6, 1.55555555555552e6, 1e23]
    );
    assert_eq!(h.bucket_counts, [0, 0, 0, 8, 2, 7, 0, 0, 0, 0, 0]);
    assert_eq!((h.count, h.sum), (17, Some(324789.3)));
    assert_eq!(h.start_time_unix_nano, 1_520_430_000_123_000_000);
    // `bar` has buckets but no `_count`: the spec drops it, and we say so
    assert!(metrics(&out.request).iter().all(|m| m.name != "bar"));
    assert_eq!(out.dropped.len(), 1);
    assert_eq!(out.dropped[0].family, "bar");
    assert_eq!(out.dropped[0].samples, 2);
    assert_eq!(out.dropped[0].reason, DropReason::HistogramWithoutCount);
    // summary with NaN quantiles, counts written as floats
    let p = &summary(metric(&out.request, "go_gc_duration_seconds"))[0];
    assert_eq!((p.count, p.sum), (7476, 56.12904785));
    assert_eq!(p.quantile_values.len(), 5);
    assert_eq!(p.quantile_values[4].quantile, 1.0);
    let p = &summary(metric(
        &out.request,
        "prometheus_local_storage_indexing_batch_duration_milliseconds",
    ))[0];
    assert!(p.quantile_values.iter().all(|q| q.value.is_nan()));
    assert_eq!(p.flags, 0, "a NaN quantile is a value, not a staleness marker");

    let out = om_case("simple_summary").unwrap();
    let p = &summary(metric(&out.request, "a"))[0];
    assert_eq!((p.count, p.sum, p.quantile_values.len()), (1, 2.0, 0));

    let out = om_case("simple_histogram").unwrap();
    let h = &histogram(metric(&out.request, "a"))[0];
    assert_eq!(
        (h.explicit_bounds.as_slice(), h.bucket_counts.as_slice()),
        (&[1.0][..], &[0, 3][..])
    );
}

#[test]
fn exemplars_on_counters_and_buckets() {
    let Some(out) = om_case("counter_exemplars") else { return };
    let p = &sum(metric(&out.request, "a_total")).data_points[0];
    assert_eq!(p.time_unix_nano, 123_000_000_000);
    let e = &p.exemplars[0];
    assert_eq!(e.value, Some(exemplar::Value::AsDouble(0.5)));
    assert_eq!(attr(&e.filtered_attributes, "a"), Some("b"));
    assert_eq!(e.time_unix_nano, 123_000_000_000, "no exemplar timestamp: the point's time");

    // This case has buckets but no `_count`: the spec drops the histogram, exemplars and all.
    let out = om_case("histogram_exemplars").unwrap();
    assert!(out.request.resource_metrics.is_empty());
    assert_eq!(out.dropped[0].samples, 3);
    assert_eq!(out.dropped[0].reason, DropReason::HistogramWithoutCount);

    let input = b"# TYPE req counter\n\
        req_total{path=\"/\"} 7 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\",user=\"u1\"} 1 1700000000.5\n\
        # TYPE lat histogram\n\
        lat_bucket{le=\"0.1\"} 1 # {trace_id=\"0af7651916cd43dd8448eb211c80319c\",span_id=\"b7ad6b7169203331\"} 0.05\n\
        lat_bucket{le=\"+Inf\"} 2 # {trace_id=\"not-hex\"} 3\n\
        lat_count 2\n\
        lat_sum 3.05\n\
        # EOF\n";
    let out = exposition_to_otlp(&om(input), ctx());
    let e = &sum(metric(&out.request, "req_total")).data_points[0].exemplars[0];
    assert_eq!(hex(&e.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(hex(&e.span_id), "00f067aa0ba902b7");
    assert_eq!(e.filtered_attributes.len(), 1, "the ids are not attributes");
    assert_eq!(attr(&e.filtered_attributes, "user"), Some("u1"));
    assert_eq!(e.time_unix_nano, 1_700_000_000_500_000_000);
    let h = &histogram(metric(&out.request, "lat"))[0];
    assert_eq!(hex(&h.exemplars[0].trace_id), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(hex(&h.exemplars[0].span_id), "b7ad6b7169203331");
    assert!(h.exemplars[1].trace_id.is_empty(), "an id that is not hex stays an attribute");
    assert_eq!(attr(&h.exemplars[1].filtered_attributes, "trace_id"), Some("not-hex"));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn resource_from_job_instance_and_target_info() {
    let input = b"# TYPE target info\n\
        target_info{env=\"prod\",host_name=\"h1\"} 1\n\
        # TYPE up_seconds gauge\n\
        up_seconds 5\n\
        # EOF\n";
    let scrape =
        ScrapeContext { scrape_time_ns: SCRAPE_NS, job: "payments/api", instance: "[::1]:8080" };
    let out = exposition_to_otlp(&om(input), scrape);
    assert_eq!(out.dropped, vec![]);
    let rm = &out.request.resource_metrics[0];
    let resource = &rm.resource.as_ref().unwrap().attributes;
    let pairs: Vec<(&str, String)> = resource
        .iter()
        .map(|kv| {
            (
                kv.key.as_str(),
                attributes::to_tag_string(kv.value.as_ref().and_then(|v| v.value.as_ref())),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("service.name", "api".to_string()),
            ("service.namespace", "payments".to_string()),
            ("service.instance.id", "[::1]:8080".to_string()),
            ("server.address", "::1".to_string()),
            ("server.port", "8080".to_string()),
            ("env", "prod".to_string()),
            ("host_name", "h1".to_string()),
        ]
    );
    // `target_info` itself is not a metric, and no point carries job/instance/target labels
    let names: Vec<&str> = metrics(&out.request).iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["up_seconds"]);
    assert!(gauge(metric(&out.request, "up_seconds"))[0].attributes.is_empty());

    // text 0.0.4 has no info type: a `target_info` gauge does the same
    let text = b"# TYPE target_info gauge\ntarget_info{region=\"eu\",service_name=\"x\"} 1\nx 1\n";
    let out = exposition_to_otlp(&parse_text(text).unwrap(), ctx());
    let resource = &out.request.resource_metrics[0].resource.as_ref().unwrap().attributes;
    assert_eq!(attr(resource, "region"), Some("eu"));
    assert_eq!(attr(resource, "service.name"), Some("node"));
    assert_eq!(attr(resource, "service_name"), Some("x"), "label keys are not altered");
    assert_eq!(metrics(&out.request).len(), 1);

    // a target_info label that clashes with the scrape's resource loses, and is counted
    // (OpenMetrics 1.0 text cannot name a label `service.name`: the model can)
    let mut set = om(b"# TYPE target info\ntarget_info{a=\"b\"} 1\n# TYPE x gauge\nx 1\n# EOF\n");
    set.families[0].samples[0].labels.push(Label::new("service.name", "other"));
    let out = exposition_to_otlp(&set, ctx());
    let resource = out.request.resource_metrics[0].resource.as_ref().unwrap();
    assert_eq!(attr(&resource.attributes, "service.name"), Some("node"));
    assert_eq!(attr(&resource.attributes, "a"), Some("b"));
    assert_eq!(resource.dropped_attributes_count, 1);
}

#[test]
fn scope_from_otel_scope_labels() {
    let input = b"# TYPE otel_scope info\n\
        otel_scope_info{otel_scope_name=\"io.http\",otel_scope_version=\"1.2\",library_mascot=\"bear\"} 1\n\
        # TYPE http_requests counter\n\
        http_requests_total{otel_scope_name=\"io.http\",otel_scope_version=\"1.2\",otel_scope_schema_url=\"https://opentelemetry.io/schemas/1.24.0\",otel_scope_team=\"web\",code=\"200\"} 3\n\
        http_requests_total{otel_scope_name=\"io.db\",code=\"500\"} 1\n\
        http_requests_total{code=\"404\"} 2\n\
        # EOF\n";
    let out = exposition_to_otlp(&om(input), ctx());
    assert_eq!(out.dropped, vec![]);
    let scopes = &out.request.resource_metrics[0].scope_metrics;
    assert_eq!(scopes.len(), 3, "one scope per name/version/attributes");
    let http = &scopes[0];
    let scope = http.scope.as_ref().unwrap();
    assert_eq!((scope.name.as_str(), scope.version.as_str()), ("io.http", "1.2"));
    assert_eq!(http.schema_url, "https://opentelemetry.io/schemas/1.24.0");
    assert_eq!(attr(&scope.attributes, "team"), Some("web"), "other otel_scope_* labels");
    assert_eq!(attr(&scope.attributes, "library_mascot"), Some("bear"), "from otel_scope_info");
    let p = &sum(&http.metrics[0]).data_points[0];
    assert_eq!(p.attributes.len(), 1, "scope labels are removed from the point");
    assert_eq!((attr(&p.attributes, "code"), value(p)), (Some("200"), 3.0));
    let db = scopes[1].scope.as_ref().unwrap();
    assert_eq!((db.name.as_str(), db.version.as_str()), ("io.db", ""));
    assert!(db.attributes.is_empty());
    let default = scopes[2].scope.as_ref().unwrap();
    assert_eq!(default.name, DEFAULT_SCOPE_NAME, "no scope labels: the translator's scope");
    assert_eq!(attr(&sum(&scopes[2].metrics[0]).data_points[0].attributes, "code"), Some("404"));
    // one metric per scope, all named alike
    assert!(scopes
        .iter()
        .all(|s| s.metrics.len() == 1 && s.metrics[0].name == "http_requests_total"));
}

#[test]
fn stale_markers_become_no_recorded_value() {
    let input = b"# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"2\"} 2\n\
        # TYPE c counter\nc_total 5\n\
        # TYPE h histogram\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 1.5\n\
        # TYPE s summary\ns{quantile=\"0.5\"} 1\ns_count 2\ns_sum 3\n\
        # EOF\n";
    let mut set = om(input).into_owned();
    // A scraper marks series that vanished with the stale NaN; text cannot carry it.
    for family in &mut set.families {
        let stale_all = family.name != "g";
        for sample in &mut family.samples {
            if stale_all || sample.label("a") == Some("2") {
                sample.value = stale_nan();
            }
        }
    }
    let out = exposition_to_otlp(&set, ctx());
    assert_eq!(out.dropped, vec![]);
    let points = gauge(metric(&out.request, "g"));
    assert_eq!(point_with(points, |p| &p.attributes, "a", "1").flags, 0);
    let stale = point_with(points, |p| &p.attributes, "a", "2");
    assert_eq!(stale.flags, FLAG_NO_RECORDED_VALUE);
    assert_eq!(stale.time_unix_nano, SCRAPE_NS);
    assert_eq!(sum(metric(&out.request, "c_total")).data_points[0].flags, FLAG_NO_RECORDED_VALUE);
    let h = &histogram(metric(&out.request, "h"))[0];
    assert_eq!(h.flags, FLAG_NO_RECORDED_VALUE);
    assert!(h.bucket_counts.is_empty() && h.sum.is_none() && h.count == 0);
    let s = &summary(metric(&out.request, "s"))[0];
    assert_eq!(s.flags, FLAG_NO_RECORDED_VALUE);
    assert!(s.quantile_values.is_empty());
    // and a text `NaN` is a value, not a marker
    let out = om_case_or_text(b"# TYPE a gauge\na NaN\n# EOF\n");
    assert_eq!(gauge(metric(&out.request, "a"))[0].flags, 0);
}

fn om_case_or_text(input: &[u8]) -> Converted {
    exposition_to_otlp(&om(input), ctx())
}

#[test]
fn sample_timestamps_and_out_of_range_ones() {
    let Some(out) = om_case("timestamps") else { return };
    let points = &sum(metric(&out.request, "a_total")).data_points;
    let time = |foo: &str| point_with(points, |p| &p.attributes, "foo", foo).time_unix_nano;
    assert_eq!(time("1"), 0);
    assert_eq!(time("3"), 1_100_000_000);
    assert_eq!(time("5"), 1_500_000_000_000);
    assert_eq!(points.len(), 4, "foo=4 is 12345678901234567890 s: beyond OTLP's range");
    assert_eq!(out.dropped.len(), 1);
    assert_eq!(out.dropped[0].family, "a");
    assert_eq!(out.dropped[0].reason, DropReason::TimestampOutOfRange);
    assert_eq!(
        sum(metric(&out.request, "b_total")).data_points[0].time_unix_nano,
        1_234_567_890_000_000_000
    );

    // text 0.0.4: milliseconds
    let out = exposition_to_otlp(&parse_text(b"x 1 1700000000123\ny 1 -5\n").unwrap(), ctx());
    assert_eq!(gauge(metric(&out.request, "x"))[0].time_unix_nano, 1_700_000_000_123_000_000);
    assert_eq!(out.dropped[0].family, "y");
    assert_eq!(out.dropped[0].reason, DropReason::TimestampOutOfRange);
}

#[test]
fn drops_are_counted_never_silent() {
    let Some(out) = om_case("gaugehistogram_exemplars") else { return };
    assert!(out.request.resource_metrics.is_empty(), "nothing left to send");
    assert_eq!(out.dropped.len(), 1);
    assert_eq!(out.dropped[0].family, "a");
    assert_eq!(out.dropped[0].samples, 3);
    assert_eq!(out.dropped[0].reason, DropReason::GaugeHistogram);
    assert_eq!(out.dropped_samples(), 3);

    // text 0.0.4 keeps a bucket without `le` and a summary without `_count`: we drop those series
    let text = b"# TYPE h histogram\n\
        h_bucket{x=\"1\"} 1\nh_count{x=\"1\"} 1\n\
        h_bucket{x=\"2\",le=\"5\"} 1\nh_count{x=\"2\"} 4\n\
        h_bucket{x=\"3\",le=\"5\"} 3\nh_bucket{x=\"3\",le=\"+Inf\"} 2\nh_count{x=\"3\"} 2\n\
        # TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 3\n";
    let out = exposition_to_otlp(&parse_text(text).unwrap(), ctx());
    let h = histogram(metric(&out.request, "h"));
    assert_eq!(h.len(), 1, "only x=2 is a valid histogram");
    assert_eq!(attr(&h[0].attributes, "x"), Some("2"));
    assert_eq!(
        (h[0].explicit_bounds.as_slice(), h[0].bucket_counts.as_slice()),
        (&[5.0][..], &[1, 3][..]),
        "no +Inf bucket: the overflow is _count less the last bucket"
    );
    let reasons: Vec<(&str, usize, DropReason)> =
        out.dropped.iter().map(|d| (d.family.as_str(), d.samples, d.reason)).collect();
    assert_eq!(
        reasons,
        [
            ("h", 2, DropReason::BadBucketBound),
            ("h", 3, DropReason::BadBucketCounts),
            ("s", 2, DropReason::SummaryWithoutCount),
        ]
    );
    assert!(metrics(&out.request).iter().all(|m| m.name != "s"));
}

#[test]
fn text_created_gauges_give_start_times() {
    // What client_python writes in text 0.0.4: `_created` as gauges of their own.
    let text = b"# HELP req_total Requests\n# TYPE req_total counter\n\
        req_total{path=\"/\"} 3.0\nreq_total{path=\"/a\"} 1.0\n\
        # HELP req_created Requests\n# TYPE req_created gauge\n\
        req_created{path=\"/\"} 1.7000000001e+09\n\
        # TYPE lat_seconds histogram\n\
        lat_seconds_bucket{le=\"0.5\"} 1.0\nlat_seconds_bucket{le=\"+Inf\"} 2.0\n\
        lat_seconds_count 2.0\nlat_seconds_sum 1.2\n\
        # TYPE lat_seconds_created gauge\nlat_seconds_created 1.7000000002e+09\n\
        # TYPE legacy counter\nlegacy 5\n";
    let out = exposition_to_otlp(&parse_text(text).unwrap(), ctx());
    assert_eq!(out.dropped, vec![]);
    let names: Vec<&str> = metrics(&out.request).iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["req_total", "lat_seconds", "legacy"], "_created gauges are consumed");
    let points = &sum(metric(&out.request, "req_total")).data_points;
    let start =
        |path: &str| point_with(points, |p| &p.attributes, "path", path).start_time_unix_nano;
    assert_eq!(start("/"), 1_700_000_000_100_000_000);
    assert_eq!(start("/a"), 0, "no _created for this series: unknown, not invented");
    let h = &histogram(metric(&out.request, "lat_seconds"))[0];
    assert_eq!(h.start_time_unix_nano, 1_700_000_000_200_000_000);
    assert_eq!(sum(metric(&out.request, "legacy")).data_points[0].start_time_unix_nano, 0);

    let trimmed = exposition_to_otlp_with(
        &parse_text(text).unwrap(),
        ctx(),
        MappingOptions { trim_suffixes: true },
    );
    let names: Vec<&str> = metrics(&trimmed.request).iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["req", "lat_seconds", "legacy"], "no UNIT in text: only _total goes");
}

/// Expositions to mutate: every type, `_created`, exemplars with ids, scope labels, target_info.
const SEEDS: [&[u8]; 3] = [
    b"# TYPE target info\ntarget_info{a=\"b\"} 1\n# TYPE c counter\n# UNIT c seconds\n\
      c_total{otel_scope_name=\"s\",x=\"1\"} 3 5 # {trace_id=\"0af7651916cd43dd8448eb211c80319c\"} 1 4\n\
      c_created{otel_scope_name=\"s\",x=\"1\"} 1.5 5\n\
      # TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 1\nh_created 3\n\
      # TYPE s summary\ns{quantile=\"0.5\"} 1\ns_count 1\ns_sum 1\n\
      # TYPE g gaugehistogram\ng_bucket{le=\"+Inf\"} 1\ng_gcount 1\ng_gsum 1\n\
      # TYPE st stateset\nst{st=\"a\"} 1\n# TYPE i info\ni_info{v=\"1\"} 1\n# EOF\n",
    b"# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"2\"} 3\nh_count 4\nh_sum 1\n\
      # TYPE h_created gauge\nh_created 7\nx 1 100\n# TYPE target_info gauge\ntarget_info{r=\"1\"} 1\n",
    b"# TYPE q summary\nq{quantile=\"0.9\",a=\"1\"} 2\nq_count{a=\"1\"} 3\nq{a=\"2\"} 1\nq_sum{a=\"2\"} 1\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Whatever the lenient parsers let through maps without a panic, every histogram point
    /// is consistent (counts add up to `count`, one more count than bounds), the request
    /// survives the wire, and every sample is either in the request or counted as dropped.
    #[test]
    fn mapping_never_panics_and_keeps_histograms_consistent(
        seed in 0usize..SEEDS.len(),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>(), 0u8..3), 0..6),
        text in any::<bool>(),
    ) {
        let mut input = SEEDS[seed].to_vec();
        for (i, byte, op) in edits {
            if input.is_empty() { break; }
            let i = i.index(input.len());
            match op {
                0 => input[i] = byte,
                1 => input.insert(i, byte),
                _ => { input.remove(i); }
            }
        }
        let parsed = if text { parse_text_lenient(&input) } else { parse_openmetrics_lenient(&input) };
        let out = exposition_to_otlp(&parsed.set, ctx());
        for m in metrics(&out.request) {
            if let Some(metric::Data::Histogram(h)) = &m.data {
                for p in &h.data_points {
                    if p.flags == 0 {
                        prop_assert_eq!(p.bucket_counts.len(), p.explicit_bounds.len() + 1);
                        prop_assert_eq!(p.bucket_counts.iter().sum::<u64>(), p.count);
                    }
                }
            }
        }
        let bytes = out.request.encode_to_vec();
        prop_assert!(ExportMetricsServiceRequest::decode(&bytes[..]).is_ok());
        if parsed.set.sample_count() > 0 {
            prop_assert!(!out.request.resource_metrics.is_empty() || out.dropped_samples() > 0
                || parsed.set.families.iter().all(|f| f.name == "target" || f.name == "target_info"
                    || f.samples.is_empty()));
        }
    }
}

/// The bytes of our hand-written prost types read back with opentelemetry-proto's generated
/// ones: field numbers, oneofs and packed fields agree with the official `metrics.proto`.
#[test]
fn opentelemetry_proto_reads_what_we_write() {
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest as Official;
    use opentelemetry_proto::tonic::metrics::v1::{exemplar::Value as OE, metric::Data as OD};
    let input = b"# TYPE c_seconds counter\n# UNIT c_seconds seconds\n# HELP c_seconds help\n\
        c_seconds_total{x=\"1\",otel_scope_name=\"sc\",otel_scope_version=\"2\"} 3 5 # {trace_id=\"0af7651916cd43dd8448eb211c80319c\",span_id=\"b7ad6b7169203331\"} 1 4\n\
        c_seconds_created{x=\"1\",otel_scope_name=\"sc\",otel_scope_version=\"2\"} 1.5 5\n\
        # TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 3\nh_count 3\nh_sum 2.5\n\
        # TYPE s summary\ns{quantile=\"0.5\"} 1\ns_count 4\ns_sum 9\n# TYPE g gauge\ng -2\n# EOF\n";
    let ours = exposition_to_otlp(&om(input), ctx()).request;
    let official = Official::decode(&ours.encode_to_vec()[..]).unwrap();
    let rm = &official.resource_metrics[0];
    let res = &rm.resource.as_ref().unwrap().attributes;
    assert_eq!(res[0].key, "service.name");
    let sm = &rm.scope_metrics;
    assert_eq!(sm.len(), 2);
    let scope = sm[0].scope.as_ref().unwrap();
    assert_eq!((scope.name.as_str(), scope.version.as_str()), ("sc", "2"));
    let c = &sm[0].metrics[0];
    assert_eq!(
        (c.name.as_str(), c.unit.as_str(), c.description.as_str()),
        ("c_seconds_total", "s", "help")
    );
    assert_eq!(c.metadata[0].key, "prometheus.type");
    let Some(OD::Sum(sum)) = &c.data else { panic!("{c:?}") };
    assert!(sum.is_monotonic);
    assert_eq!(sum.aggregation_temporality, 2);
    let p = &sum.data_points[0];
    assert_eq!((p.start_time_unix_nano, p.time_unix_nano), (1_500_000_000, 5_000_000_000));
    assert_eq!(p.attributes.len(), 1);
    let e = &p.exemplars[0];
    assert_eq!(hex(&e.trace_id), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(hex(&e.span_id), "b7ad6b7169203331");
    assert_eq!((e.time_unix_nano, e.value), (4_000_000_000, Some(OE::AsDouble(1.0))));
    let metrics = &sm[1].metrics;
    let Some(OD::Histogram(h)) = &metrics[0].data else { panic!() };
    let hp = &h.data_points[0];
    assert_eq!((hp.count, hp.sum, hp.time_unix_nano), (3, Some(2.5), SCRAPE_NS));
    assert_eq!(
        (hp.explicit_bounds.as_slice(), hp.bucket_counts.as_slice()),
        (&[1.0][..], &[1, 2][..])
    );
    let Some(OD::Summary(s)) = &metrics[1].data else { panic!() };
    let sp = &s.data_points[0];
    assert_eq!(
        (sp.count, sp.sum, sp.quantile_values[0].quantile, sp.quantile_values[0].value),
        (4, 9.0, 0.5, 1.0)
    );
    let Some(OD::Gauge(g)) = &metrics[2].data else { panic!() };
    assert_eq!(
        g.data_points[0].value,
        Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsDouble(-2.0))
    );
    // and back: the official bytes decode into our types unchanged
    let back = ExportMetricsServiceRequest::decode(&official.encode_to_vec()[..]).unwrap();
    assert_eq!(back, ours);
}

#[test]
fn a_stray_sample_costs_itself_only() {
    // Text 0.0.4: `h` (the family's own name) joins histogram `h` but has no place in it; and
    // a `_created` gauge whose labels come in another order still finds its series.
    let text = b"# TYPE h histogram\nh_bucket{a=\"1\",b=\"2\",le=\"+Inf\"} 2\nh_count{b=\"2\",a=\"1\"} 2\nh{a=\"1\",b=\"2\"} 9\n\
        # TYPE h_created gauge\nh_created{b=\"2\",a=\"1\"} 10\n";
    let out = exposition_to_otlp(&parse_text(text).unwrap(), ctx());
    let h = &histogram(metric(&out.request, "h"))[0];
    assert_eq!((h.count, h.bucket_counts.as_slice()), (2, &[2][..]));
    assert_eq!(h.start_time_unix_nano, 10_000_000_000);
    let reasons: Vec<(usize, DropReason)> =
        out.dropped.iter().map(|d| (d.samples, d.reason)).collect();
    assert_eq!(reasons, [(1, DropReason::UnexpectedSample)]);
}
