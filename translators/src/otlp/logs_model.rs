//! The OTLP logs messages (`opentelemetry.proto.logs.v1` and the collector's `ExportLogsServiceRequest`), as
//! prost types sharing the common messages (resource, scope, attributes) of [`super::model`].

use super::model::{AnyValue, InstrumentationScope, KeyValue, Resource};

/// `opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest` (same wire shape as `LogsData`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportLogsServiceRequest {
    /// Log records grouped by resource.
    #[prost(message, repeated, tag = "1")]
    pub resource_logs: Vec<ResourceLogs>,
}

/// `opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportLogsServiceResponse {
    /// Set when some records were rejected.
    #[prost(message, optional, tag = "1")]
    pub partial_success: Option<ExportLogsPartialSuccess>,
}

/// `opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportLogsPartialSuccess {
    /// How many log records were rejected.
    #[prost(int64, tag = "1")]
    pub rejected_log_records: i64,
    /// Why.
    #[prost(string, tag = "2")]
    pub error_message: String,
}

/// `opentelemetry.proto.logs.v1.ResourceLogs`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceLogs {
    /// The resource the records come from.
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    /// Records grouped by scope.
    #[prost(message, repeated, tag = "2")]
    pub scope_logs: Vec<ScopeLogs>,
    /// Schema of the resource's attributes.
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// `opentelemetry.proto.logs.v1.ScopeLogs`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ScopeLogs {
    /// The instrumentation scope.
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    /// The records.
    #[prost(message, repeated, tag = "2")]
    pub log_records: Vec<LogRecord>,
    /// Schema of the records' attributes.
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// `opentelemetry.proto.logs.v1.LogRecord`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LogRecord {
    /// When the event happened, ns since the epoch (0: unknown).
    #[prost(fixed64, tag = "1")]
    pub time_unix_nano: u64,
    /// When the collection system saw it, ns since the epoch.
    #[prost(fixed64, tag = "11")]
    pub observed_time_unix_nano: u64,
    /// Normalised severity, 1–24 ([`SeverityNumber`]).
    #[prost(enumeration = "SeverityNumber", tag = "2")]
    pub severity_number: i32,
    /// The severity as the source spelled it.
    #[prost(string, tag = "3")]
    pub severity_text: String,
    /// The message, or structured data.
    #[prost(message, optional, tag = "5")]
    pub body: Option<AnyValue>,
    /// Attributes.
    #[prost(message, repeated, tag = "6")]
    pub attributes: Vec<KeyValue>,
    /// Attributes dropped by the sender.
    #[prost(uint32, tag = "7")]
    pub dropped_attributes_count: u32,
    /// W3C trace flags in the low 8 bits.
    #[prost(fixed32, tag = "8")]
    pub flags: u32,
    /// Trace id (16 bytes) when the record belongs to a trace.
    #[prost(bytes = "vec", tag = "9")]
    pub trace_id: Vec<u8>,
    /// Span id (8 bytes).
    #[prost(bytes = "vec", tag = "10")]
    pub span_id: Vec<u8>,
    /// Name of the event class, for records that are events.
    #[prost(string, tag = "12")]
    pub event_name: String,
}

/// `opentelemetry.proto.logs.v1.SeverityNumber`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SeverityNumber {
    /// Not set.
    Unspecified = 0,
    /// TRACE.
    Trace = 1,
    /// TRACE2.
    Trace2 = 2,
    /// TRACE3.
    Trace3 = 3,
    /// TRACE4.
    Trace4 = 4,
    /// DEBUG.
    Debug = 5,
    /// DEBUG2.
    Debug2 = 6,
    /// DEBUG3.
    Debug3 = 7,
    /// DEBUG4.
    Debug4 = 8,
    /// INFO.
    Info = 9,
    /// INFO2.
    Info2 = 10,
    /// INFO3.
    Info3 = 11,
    /// INFO4.
    Info4 = 12,
    /// WARN.
    Warn = 13,
    /// WARN2.
    Warn2 = 14,
    /// WARN3.
    Warn3 = 15,
    /// WARN4.
    Warn4 = 16,
    /// ERROR.
    Error = 17,
    /// ERROR2.
    Error2 = 18,
    /// ERROR3.
    Error3 = 19,
    /// ERROR4.
    Error4 = 20,
    /// FATAL.
    Fatal = 21,
    /// FATAL2.
    Fatal2 = 22,
    /// FATAL3.
    Fatal3 = 23,
    /// FATAL4.
    Fatal4 = 24,
}

/// The short name of a severity number's range (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`), as the
/// data model's "short name" column gives it; "" when unspecified or out of range.
pub fn severity_short_name(number: i32) -> &'static str {
    match number {
        1..=4 => "TRACE",
        5..=8 => "DEBUG",
        9..=12 => "INFO",
        13..=16 => "WARN",
        17..=20 => "ERROR",
        21..=24 => "FATAL",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    #[test]
    fn fields_have_the_proto_numbers() {
        let record = LogRecord {
            time_unix_nano: 1,
            observed_time_unix_nano: 2,
            severity_number: SeverityNumber::Warn as i32,
            event_name: "e".into(),
            ..Default::default()
        };
        let bytes = record.encode_to_vec();
        // fixed64 field 1 (tag 0x09), enum field 2 (0x10), fixed64 field 11 (0x59), string field 12 (0x62).
        assert_eq!(bytes[0], 0x09);
        assert!(bytes.windows(2).any(|w| w == [0x10, 13]));
        assert!(bytes.windows(2).any(|w| w == [0x62, 1]));
        assert!(bytes.contains(&0x59));
        assert_eq!(severity_short_name(13), "WARN");
        assert_eq!(severity_short_name(0), "");
    }
}
