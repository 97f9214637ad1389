//! Helpers shared by the service tests that post OTLP/HTTP and read `/metrics`.

use translators::otlp::model::Span;

/// Span `i` of batch `batch`: ids derived from both (never all zero), named `batch{batch}-span{i}`, 1 ms long.
pub fn numbered_span(batch: u32, i: u32) -> Span {
    Span {
        trace_id: [&[0xab; 8][..], &batch.to_be_bytes()[..], &[0; 4][..]].concat(),
        span_id: [&(batch + 1).to_be_bytes()[..], &(i + 1).to_be_bytes()[..]].concat(),
        name: format!("batch{batch}-span{i}"),
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_001_000_000,
        ..Span::default()
    }
}

/// POSTs an OTLP protobuf body.
pub async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) -> reqwest::Response {
    client
        .post(url)
        .header("content-type", "application/x-protobuf")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The value of the first `/metrics` line on the admin endpoint starting with `line_start`.
pub async fn metric(admin: std::net::SocketAddr, line_start: &str) -> u64 {
    let text = reqwest::get(format!("http://{admin}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no metric line starting with {line_start}:\n{text}"))
}
