//! Which exposition format a scrape asks for and which one a response holds.
//!
//! Scrapers send [`SCRAPE_ACCEPT`], preferring OpenMetrics 1.0 and falling back to text 0.0.4;
//! the response's `Content-Type` then picks the parser ([`ExpositionFormat::from_content_type`]).
//! An exposition endpoint answers in the format the scraper's `Accept` prefers
//! ([`ExpositionFormat::from_accept`]).

/// The `Accept` header of a scrape: OpenMetrics 1.0.0 first, then OpenMetrics 0.0.1 (the same
/// syntax for our parser), then text 0.0.4, then anything (read as text 0.0.4).
pub const SCRAPE_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;q=0.6,\
application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

/// One of the two text exposition formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpositionFormat {
    /// Prometheus text format 0.0.4 (`text/plain; version=0.0.4`).
    PrometheusText,
    /// OpenMetrics 1.0 (`application/openmetrics-text; version=1.0.0`).
    OpenMetrics,
}

impl ExpositionFormat {
    /// The `Content-Type` of a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            ExpositionFormat::PrometheusText => "text/plain; version=0.0.4; charset=utf-8",
            ExpositionFormat::OpenMetrics => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8"
            }
        }
    }

    /// The format of a scrape response by its `Content-Type`: `application/openmetrics-text`
    /// (any version) is OpenMetrics; anything else, a missing header included, is read as text
    /// 0.0.4, as Prometheus does.
    pub fn from_content_type(content_type: Option<&str>) -> Self {
        match content_type.map(media_type) {
            Some(t) if t.eq_ignore_ascii_case("application/openmetrics-text") => {
                ExpositionFormat::OpenMetrics
            }
            _ => ExpositionFormat::PrometheusText,
        }
    }

    /// The format to answer a scrape with, by its `Accept` header: OpenMetrics when the scraper
    /// accepts `application/openmetrics-text` at least as much as `text/plain` (and with a
    /// quality above 0), text 0.0.4 otherwise or without the header.
    pub fn from_accept(accept: Option<&str>) -> Self {
        let Some(accept) = accept else {
            return ExpositionFormat::PrometheusText;
        };
        let mut openmetrics = 0.0f32;
        let mut text = 0.0f32;
        for range in accept.split(',') {
            let media = media_type(range);
            let quality = range
                .split(';')
                .skip(1)
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if media.eq_ignore_ascii_case("application/openmetrics-text") {
                openmetrics = openmetrics.max(quality);
            } else if media.eq_ignore_ascii_case("text/plain") {
                text = text.max(quality);
            }
        }
        if openmetrics > 0.0 && openmetrics >= text {
            ExpositionFormat::OpenMetrics
        } else {
            ExpositionFormat::PrometheusText
        }
    }
}

/// The media type of a header value: what comes before the first `;`, trimmed.
fn media_type(value: &str) -> &str {
    value.split(';').next().unwrap_or_default().trim()
}

#[cfg(test)]
mod tests {
    use super::ExpositionFormat::{OpenMetrics, PrometheusText};
    use super::*;

    #[test]
    fn content_type_picks_the_parser() {
        let pick = ExpositionFormat::from_content_type;
        assert_eq!(
            pick(Some("application/openmetrics-text; version=1.0.0; charset=utf-8")),
            OpenMetrics
        );
        assert_eq!(pick(Some("Application/OpenMetrics-Text;version=0.0.1")), OpenMetrics);
        assert_eq!(pick(Some("text/plain; version=0.0.4; charset=utf-8")), PrometheusText);
        assert_eq!(pick(Some("text/html")), PrometheusText);
        assert_eq!(pick(None), PrometheusText);
    }

    #[test]
    fn accept_picks_the_answer() {
        let pick = ExpositionFormat::from_accept;
        assert_eq!(pick(Some(SCRAPE_ACCEPT)), OpenMetrics);
        assert_eq!(pick(Some("text/plain;version=0.0.4;q=0.5,*/*;q=0.1")), PrometheusText);
        assert_eq!(
            pick(Some(
                "application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5"
            )),
            OpenMetrics
        );
        assert_eq!(pick(Some("application/openmetrics-text;q=0")), PrometheusText);
        assert_eq!(pick(Some("*/*")), PrometheusText);
        assert_eq!(pick(None), PrometheusText);
    }
}
