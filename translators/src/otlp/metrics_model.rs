//! The OTLP metrics messages (`opentelemetry.proto.metrics.v1` and the collector's
//! `ExportMetricsServiceRequest`), as prost types sharing the common messages (resource, scope,
//! attributes) of [`super::model`].
//!
//! Field numbers follow `metrics.proto` of opentelemetry-proto v1.x.

use super::model::{InstrumentationScope, KeyValue, Resource};

/// `opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest` (same wire shape as
/// `MetricsData`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportMetricsServiceRequest {
    /// Metrics grouped by resource.
    #[prost(message, repeated, tag = "1")]
    pub resource_metrics: Vec<ResourceMetrics>,
}

/// `opentelemetry.proto.metrics.v1.MetricsData` has the same wire shape as the request.
pub type MetricsData = ExportMetricsServiceRequest;

/// `opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportMetricsServiceResponse {
    /// Set when some data points were rejected.
    #[prost(message, optional, tag = "1")]
    pub partial_success: Option<ExportMetricsPartialSuccess>,
}

/// `opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportMetricsPartialSuccess {
    /// How many data points were rejected.
    #[prost(int64, tag = "1")]
    pub rejected_data_points: i64,
    /// Why.
    #[prost(string, tag = "2")]
    pub error_message: String,
}

/// `opentelemetry.proto.metrics.v1.ResourceMetrics`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceMetrics {
    /// The resource the metrics describe.
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    /// Metrics grouped by instrumentation scope.
    #[prost(message, repeated, tag = "2")]
    pub scope_metrics: Vec<ScopeMetrics>,
    /// Schema of the resource's attributes.
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// `opentelemetry.proto.metrics.v1.ScopeMetrics`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ScopeMetrics {
    /// The instrumentation scope.
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    /// The metrics.
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
    /// Schema of the metrics' attributes.
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// `opentelemetry.proto.metrics.v1.Metric`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    /// Metric name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Description (Prometheus HELP).
    #[prost(string, tag = "2")]
    pub description: String,
    /// Unit, UCUM (`s`, `By`, `1`, ...).
    #[prost(string, tag = "3")]
    pub unit: String,
    /// The points, by kind.
    #[prost(oneof = "metric::Data", tags = "5, 7, 9, 10, 11")]
    pub data: Option<metric::Data>,
    /// Extra facts about the metric (e.g. `prometheus.type`); not identifying.
    #[prost(message, repeated, tag = "12")]
    pub metadata: Vec<KeyValue>,
}

/// The variants of [`Metric`].
pub mod metric {
    /// What kind of points a metric has.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Data {
        /// Current values.
        #[prost(message, tag = "5")]
        Gauge(super::Gauge),
        /// Sums over time, monotonic or not.
        #[prost(message, tag = "7")]
        Sum(super::Sum),
        /// Explicit-bucket histograms.
        #[prost(message, tag = "9")]
        Histogram(super::Histogram),
        /// Base-2 exponential histograms.
        #[prost(message, tag = "10")]
        ExponentialHistogram(super::ExponentialHistogram),
        /// Quantile summaries (legacy).
        #[prost(message, tag = "11")]
        Summary(super::Summary),
    }
}

/// `opentelemetry.proto.metrics.v1.Gauge`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Gauge {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<NumberDataPoint>,
}

/// `opentelemetry.proto.metrics.v1.Sum`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sum {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<NumberDataPoint>,
    /// [`AggregationTemporality`] as an integer.
    #[prost(enumeration = "AggregationTemporality", tag = "2")]
    pub aggregation_temporality: i32,
    /// Whether the sum only goes up (a counter).
    #[prost(bool, tag = "3")]
    pub is_monotonic: bool,
}

/// `opentelemetry.proto.metrics.v1.Histogram`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<HistogramDataPoint>,
    /// [`AggregationTemporality`] as an integer.
    #[prost(enumeration = "AggregationTemporality", tag = "2")]
    pub aggregation_temporality: i32,
}

/// `opentelemetry.proto.metrics.v1.ExponentialHistogram`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExponentialHistogram {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<ExponentialHistogramDataPoint>,
    /// [`AggregationTemporality`] as an integer.
    #[prost(enumeration = "AggregationTemporality", tag = "2")]
    pub aggregation_temporality: i32,
}

/// `opentelemetry.proto.metrics.v1.Summary`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<SummaryDataPoint>,
}

/// `opentelemetry.proto.metrics.v1.AggregationTemporality`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum AggregationTemporality {
    /// Not set (invalid).
    Unspecified = 0,
    /// Each point covers the time since the previous one.
    Delta = 1,
    /// Each point covers the time since a fixed start.
    Cumulative = 2,
}

/// `opentelemetry.proto.metrics.v1.DataPointFlags`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum DataPointFlags {
    /// No flag (the zero value; not to be used as a flag).
    DoNotUse = 0,
    /// The point marks a missing value (a Prometheus staleness marker).
    NoRecordedValueMask = 1,
}

/// Bit of a data point's `flags`: no value was recorded (Prometheus' stale NaN).
pub const FLAG_NO_RECORDED_VALUE: u32 = DataPointFlags::NoRecordedValueMask as u32;

/// `opentelemetry.proto.metrics.v1.NumberDataPoint`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NumberDataPoint {
    /// Point attributes (Prometheus labels).
    #[prost(message, repeated, tag = "7")]
    pub attributes: Vec<KeyValue>,
    /// Start of the interval of a cumulative point, ns since the epoch (0: unknown).
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// When the value was read, ns since the epoch.
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// The value.
    #[prost(oneof = "number_data_point::Value", tags = "4, 6")]
    pub value: Option<number_data_point::Value>,
    /// Sample measurements with trace context.
    #[prost(message, repeated, tag = "5")]
    pub exemplars: Vec<Exemplar>,
    /// [`DataPointFlags`] bits.
    #[prost(uint32, tag = "8")]
    pub flags: u32,
}

/// The variants of [`NumberDataPoint`].
pub mod number_data_point {
    /// A point's value.
    #[derive(Clone, Copy, PartialEq, prost::Oneof)]
    pub enum Value {
        /// IEEE 754 double.
        #[prost(double, tag = "4")]
        AsDouble(f64),
        /// Signed 64-bit integer.
        #[prost(sfixed64, tag = "6")]
        AsInt(i64),
    }
}

/// `opentelemetry.proto.metrics.v1.HistogramDataPoint`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HistogramDataPoint {
    /// Point attributes.
    #[prost(message, repeated, tag = "9")]
    pub attributes: Vec<KeyValue>,
    /// Start of the interval, ns since the epoch (0: unknown).
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// End of the interval, ns since the epoch.
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// Number of observations (the sum of `bucket_counts`).
    #[prost(fixed64, tag = "4")]
    pub count: u64,
    /// Sum of the observations, when known.
    #[prost(double, optional, tag = "5")]
    pub sum: Option<f64>,
    /// Per-bucket counts (not cumulative); one more than `explicit_bounds`.
    #[prost(fixed64, repeated, tag = "6")]
    pub bucket_counts: Vec<u64>,
    /// Upper bounds (inclusive) of all buckets but the last, ascending.
    #[prost(double, repeated, tag = "7")]
    pub explicit_bounds: Vec<f64>,
    /// Sample measurements with trace context.
    #[prost(message, repeated, tag = "8")]
    pub exemplars: Vec<Exemplar>,
    /// [`DataPointFlags`] bits.
    #[prost(uint32, tag = "10")]
    pub flags: u32,
    /// Smallest observation, when known.
    #[prost(double, optional, tag = "11")]
    pub min: Option<f64>,
    /// Largest observation, when known.
    #[prost(double, optional, tag = "12")]
    pub max: Option<f64>,
}

/// `opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExponentialHistogramDataPoint {
    /// Point attributes.
    #[prost(message, repeated, tag = "1")]
    pub attributes: Vec<KeyValue>,
    /// Start of the interval, ns since the epoch (0: unknown).
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// End of the interval, ns since the epoch.
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// Number of observations.
    #[prost(fixed64, tag = "4")]
    pub count: u64,
    /// Sum of the observations, when known.
    #[prost(double, optional, tag = "5")]
    pub sum: Option<f64>,
    /// Resolution: bucket bounds are powers of `2^(2^-scale)`.
    #[prost(sint32, tag = "6")]
    pub scale: i32,
    /// Observations within `zero_threshold` of zero.
    #[prost(fixed64, tag = "7")]
    pub zero_count: u64,
    /// Buckets of positive observations.
    #[prost(message, optional, tag = "8")]
    pub positive: Option<exponential_histogram_data_point::Buckets>,
    /// Buckets of negative observations.
    #[prost(message, optional, tag = "9")]
    pub negative: Option<exponential_histogram_data_point::Buckets>,
    /// [`DataPointFlags`] bits.
    #[prost(uint32, tag = "10")]
    pub flags: u32,
    /// Sample measurements with trace context.
    #[prost(message, repeated, tag = "11")]
    pub exemplars: Vec<Exemplar>,
    /// Smallest observation, when known.
    #[prost(double, optional, tag = "12")]
    pub min: Option<f64>,
    /// Largest observation, when known.
    #[prost(double, optional, tag = "13")]
    pub max: Option<f64>,
    /// Width of the zero bucket.
    #[prost(double, tag = "14")]
    pub zero_threshold: f64,
}

/// Messages nested in [`ExponentialHistogramDataPoint`].
pub mod exponential_histogram_data_point {
    /// A run of consecutive buckets.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Buckets {
        /// Index of the first bucket.
        #[prost(sint32, tag = "1")]
        pub offset: i32,
        /// Counts of consecutive buckets from `offset`.
        #[prost(uint64, repeated, tag = "2")]
        pub bucket_counts: Vec<u64>,
    }
}

/// `opentelemetry.proto.metrics.v1.SummaryDataPoint`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryDataPoint {
    /// Point attributes.
    #[prost(message, repeated, tag = "7")]
    pub attributes: Vec<KeyValue>,
    /// Start of the interval, ns since the epoch (0: unknown).
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// End of the interval, ns since the epoch.
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// Number of observations.
    #[prost(fixed64, tag = "4")]
    pub count: u64,
    /// Sum of the observations (0 when unknown).
    #[prost(double, tag = "5")]
    pub sum: f64,
    /// The quantiles.
    #[prost(message, repeated, tag = "6")]
    pub quantile_values: Vec<summary_data_point::ValueAtQuantile>,
    /// [`DataPointFlags`] bits.
    #[prost(uint32, tag = "8")]
    pub flags: u32,
}

/// Messages nested in [`SummaryDataPoint`].
pub mod summary_data_point {
    /// One quantile of a summary.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ValueAtQuantile {
        /// The quantile, in [0, 1].
        #[prost(double, tag = "1")]
        pub quantile: f64,
        /// Its value.
        #[prost(double, tag = "2")]
        pub value: f64,
    }
}

/// `opentelemetry.proto.metrics.v1.Exemplar`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Exemplar {
    /// Attributes of the measurement not already on the point.
    #[prost(message, repeated, tag = "7")]
    pub filtered_attributes: Vec<KeyValue>,
    /// When it was measured, ns since the epoch.
    #[prost(fixed64, tag = "2")]
    pub time_unix_nano: u64,
    /// The measured value.
    #[prost(oneof = "exemplar::Value", tags = "3, 6")]
    pub value: Option<exemplar::Value>,
    /// Span id (8 bytes), when measured inside a span.
    #[prost(bytes = "vec", tag = "4")]
    pub span_id: Vec<u8>,
    /// Trace id (16 bytes), when measured inside a trace.
    #[prost(bytes = "vec", tag = "5")]
    pub trace_id: Vec<u8>,
}

/// The variants of [`Exemplar`].
pub mod exemplar {
    /// An exemplar's value.
    #[derive(Clone, Copy, PartialEq, prost::Oneof)]
    pub enum Value {
        /// IEEE 754 double.
        #[prost(double, tag = "3")]
        AsDouble(f64),
        /// Signed 64-bit integer.
        #[prost(sfixed64, tag = "6")]
        AsInt(i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    #[test]
    fn fields_have_the_proto_numbers() {
        let point = NumberDataPoint {
            time_unix_nano: 1,
            value: Some(number_data_point::Value::AsInt(-2)),
            flags: FLAG_NO_RECORDED_VALUE,
            ..Default::default()
        };
        let bytes = point.encode_to_vec();
        // fixed64 field 3 (tag 0x19), sfixed64 field 6 (0x31), varint field 8 (0x40).
        assert_eq!(bytes[0], 0x19);
        assert_eq!(bytes[9], 0x31);
        assert_eq!(&bytes[18..], [0x40, 1]);

        let metric = Metric {
            name: "m".into(),
            data: Some(metric::Data::Summary(Summary::default())),
            ..Default::default()
        };
        // string field 1 (0x0a), message field 11 (0x5a).
        assert_eq!(metric.encode_to_vec(), [0x0a, 1, b'm', 0x5a, 0]);

        let histogram = HistogramDataPoint {
            sum: Some(0.0),
            bucket_counts: vec![1],
            explicit_bounds: vec![],
            flags: 1,
            ..Default::default()
        };
        let bytes = histogram.encode_to_vec();
        // optional double 5 is written even when 0 (0x29); packed fixed64 6 (0x32); uint32 10 (0x50).
        assert_eq!(bytes[0], 0x29);
        assert_eq!(bytes[9..11], [0x32, 8]);
        assert_eq!(&bytes[19..], [0x50, 1]);

        let exemplar = Exemplar { span_id: vec![1], trace_id: vec![2], ..Default::default() };
        // bytes 4 (0x22), bytes 5 (0x2a).
        assert_eq!(exemplar.encode_to_vec(), [0x22, 1, 1, 0x2a, 1, 2]);
    }
}
