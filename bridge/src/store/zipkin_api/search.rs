//! Zipkin's trace search (`/api/v2/traces`) over the store, with Zipkin's semantics rather than Jaeger's.
//!
//! Zipkin (`QueryRequest.test`) matches a trace when its root started in the window and, among the spans of
//! `serviceName`, SOME span has the span name, some span the remote service, some span each annotation query
//! term and some span the duration — not necessarily the same span (Jaeger wants one span meeting all). So the
//! index only narrows the candidates (spans of the service in the window, plus at most one condition that a
//! single span of the service must meet anyway); every candidate trace is then translated to Zipkin spans and
//! tested with Zipkin's rules. Names compare lower-cased, as Zipkin lower-cases them on ingest.

use super::super::query::{TagFilter, TraceId};
use super::super::{Store, StoreError};
use prost::Message as _;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::columnar::BytesColumn;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::Value as _;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};
use translators::otlp::model::ResourceSpans;
use translators::zipkin::model::{self, Kind};
use translators::ExportTraceServiceRequest;

/// A parsed `/api/v2/traces` request (Zipkin's `QueryRequest`): names lower-cased, empty ones absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipkinQuery {
    /// `serviceName`: constrains every other condition to this service's spans.
    pub service: Option<String>,
    /// `remoteServiceName`.
    pub remote_service: Option<String>,
    /// `spanName` (`all` means none).
    pub span_name: Option<String>,
    /// `annotationQuery` terms in order: `(key, "")` is a tag key or an annotation value, `(key, value)` a tag.
    pub annotations: Vec<(String, String)>,
    /// `minDuration`, µs.
    pub min_duration: Option<i64>,
    /// `maxDuration`, µs (only with `minDuration`).
    pub max_duration: Option<i64>,
    /// `endTs`, ms since the epoch.
    pub end_ts: i64,
    /// `lookback`, ms.
    pub lookback: i64,
    /// `limit`: at most this many traces.
    pub limit: usize,
}

/// Parses Zipkin's `annotationQuery` (`error and http.method=GET`) as `QueryRequest.parseAnnotationQuery`
/// does: terms split on ` and `, trimmed; a key alone never replaces an earlier `key=value`, a `key=value`
/// replaces an earlier value of the key in place.
pub fn parse_annotation_query(text: &str) -> Vec<(String, String)> {
    let mut terms: Vec<(String, String)> = Vec::new();
    if text.is_empty() {
        return terms;
    }
    for term in text.splitn(100, " and ") {
        match term.find('=') {
            None => {
                let key = term.trim();
                if !terms.iter().any(|(k, _)| k == key) {
                    terms.push((key.to_owned(), String::new()));
                }
            }
            Some(at) => {
                let key = term[..at].trim();
                let value = term[at + 1..].trim().to_owned();
                match terms.iter_mut().find(|(k, _)| k == key) {
                    Some(entry) => entry.1 = value,
                    None => terms.push((key.to_owned(), value)),
                }
            }
        }
    }
    terms
}

impl ZipkinQuery {
    /// The window's bounds in ns, as Zipkin compares span timestamps: truncated to the millisecond, between
    /// `endTs − lookback` and `endTs` inclusive.
    fn window_ns(&self) -> (u64, u64) {
        let begin = self.end_ts.saturating_sub(self.lookback).max(0) as u64;
        let end = self.end_ts.max(0) as u64;
        (begin.saturating_mul(1_000_000), end.saturating_mul(1_000_000).saturating_add(999_999))
    }

    /// Zipkin's `QueryRequest.test`: does this trace (its Zipkin spans, names lower-cased) match?
    pub fn test(&self, spans: &[model::Span]) -> bool {
        // The root's timestamp, else the earliest.
        let mut timestamp = 0u64;
        for span in spans {
            if span.timestamp == 0 {
                continue;
            }
            if span.parent_id.is_empty() {
                timestamp = span.timestamp;
                break;
            }
            if timestamp == 0 || timestamp > span.timestamp {
                timestamp = span.timestamp;
            }
        }
        let begin_us = i128::from(self.end_ts - self.lookback) * 1000;
        let end_us = i128::from(self.end_ts) * 1000;
        let ts = i128::from(timestamp);
        if timestamp == 0 || ts < begin_us || ts > end_us {
            return false;
        }
        let mut duration_ok = self.min_duration.is_none() && self.max_duration.is_none();
        let mut service_seen = self.service.is_none();
        let mut remote_left = self.remote_service.as_deref();
        let mut name_left = self.span_name.as_deref();
        let mut annotations_left: Vec<&(String, String)> = self.annotations.iter().collect();
        for span in spans {
            if let Some(service) = &self.service {
                if local_service(span) != Some(service.as_str()) {
                    continue;
                }
            }
            service_seen = true;
            for annotation in &span.annotations {
                annotations_left.retain(|(k, v)| !(v.is_empty() && *k == annotation.value));
            }
            for tag in &span.tags {
                annotations_left
                    .retain(|(k, v)| !(*k == tag.key && (v.is_empty() || *v == tag.value)));
            }
            if remote_left.is_some() && remote_left == remote_service(span) {
                remote_left = None;
            }
            if name_left.is_some_and(|n| n == span.name) {
                name_left = None;
            }
            if !duration_ok {
                let d = span.duration as i64;
                duration_ok = match (self.min_duration, self.max_duration) {
                    (Some(min), Some(max)) => d >= min && d <= max,
                    (Some(min), None) => d >= min,
                    _ => false,
                };
            }
        }
        service_seen
            && remote_left.is_none()
            && name_left.is_none()
            && annotations_left.is_empty()
            && duration_ok
    }
}

/// `localEndpoint.serviceName`, if any.
pub fn local_service(span: &model::Span) -> Option<&str> {
    span.local_endpoint.as_ref().map(|e| e.service_name.as_str()).filter(|s| !s.is_empty())
}

/// `remoteEndpoint.serviceName`, if any.
pub fn remote_service(span: &model::Span) -> Option<&str> {
    span.remote_endpoint.as_ref().map(|e| e.service_name.as_str()).filter(|s| !s.is_empty())
}

/// The kind, `None` when unset.
pub fn kind(span: &model::Span) -> Option<Kind> {
    Kind::try_from(span.kind).ok().filter(|k| *k != Kind::Unspecified)
}

/// A trace as Zipkin spans, with span and service names lower-cased as Zipkin stores them.
pub fn zipkin_spans(request: &ExportTraceServiceRequest) -> Vec<model::Span> {
    let (mut spans, _rejected) = translators::zipkin::from_otlp::otlp_to_spans(request);
    for span in &mut spans {
        span.name = span.name.to_lowercase();
        for endpoint in [&mut span.local_endpoint, &mut span.remote_endpoint].into_iter().flatten()
        {
            endpoint.service_name = endpoint.service_name.to_lowercase();
        }
    }
    spans
}

/// The one condition the index checks besides service and window (a single span must meet it).
#[derive(Debug, Clone)]
enum Narrowing {
    None,
    /// The span has one of these names (the stored spellings of the lower-cased `spanName`).
    Names(Vec<String>),
    /// The span's duration is in this range (ns).
    Duration(Option<u64>, Option<u64>),
    /// The span has this tag (span or resource attribute).
    Tag(String, String),
    /// The span has a tag with this key or an event with this name.
    KeyOrEvent(String),
}

/// At most this many candidate traces are fetched and tested at once.
const MAX_BATCH: usize = 256;

/// Tags the Zipkin translation derives (or drops) rather than copying an indexed attribute: an
/// `annotationQuery` term on them cannot narrow the search through the index.
const DERIVED_TAGS: [&str; 9] = [
    "error",
    "span.kind",
    "otel.status_description",
    "otel.library.name",
    "otel.library.version",
    "w3c.tracestate",
    "otel.dropped_attributes_count",
    "otel.dropped_events_count",
    "otel.dropped_links_count",
];

/// The `annotationQuery` term the index can narrow the search with: one a single span must meet anyway,
/// whose Zipkin tag is an indexed span or resource attribute spelled the same way (`key=value` first, the
/// more selective).
fn indexable_term(terms: &[(String, String)]) -> Option<&(String, String)> {
    let indexable = |(key, _): &&(String, String)| {
        !key.is_empty()
            && !key.starts_with('{')
            && !key.starts_with(translators::zipkin::TAG_LINK_PREFIX)
            && !DERIVED_TAGS.contains(&key.as_str())
    };
    let mut candidates = terms.iter().filter(indexable);
    candidates.clone().find(|(_, value)| !value.is_empty()).or_else(|| candidates.next())
}

impl Store {
    /// The stored spellings of a lower-cased service name (Zipkin compares names lower-cased; the store keeps
    /// them as sent).
    pub(crate) fn zipkin_service_spellings(&self, lower: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.services()?.into_iter().filter(|s| s.to_lowercase() == lower).collect())
    }

    /// The span names of `services` whose lower-case form is `lower`.
    fn zipkin_span_name_spellings(
        &self,
        services: &[String],
        lower: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut names = Vec::new();
        for service in services {
            for op in self.operations(service, None)? {
                if op.name.to_lowercase() == lower && !names.contains(&op.name) {
                    names.push(op.name);
                }
            }
        }
        Ok(names)
    }

    /// `/api/v2/traces`: the traces matching `query` by Zipkin's rules, as Zipkin spans, newest first.
    pub(crate) fn zipkin_find_traces(
        &self,
        query: &ZipkinQuery,
    ) -> Result<Vec<(TraceId, Vec<model::Span>)>, StoreError> {
        let services = match &query.service {
            Some(lower) => {
                let spellings = self.zipkin_service_spellings(lower)?;
                if spellings.is_empty() {
                    return Ok(Vec::new());
                }
                Some(spellings)
            }
            None => None,
        };
        let narrowing = if let Some(lower) = &query.span_name {
            let names = match &services {
                Some(services) => self.zipkin_span_name_spellings(services, lower)?,
                None => {
                    // Every service, and spans without one.
                    let mut all = self.services()?;
                    all.push(String::new());
                    self.zipkin_span_name_spellings(&all, lower)?
                }
            };
            if names.is_empty() {
                return Ok(Vec::new());
            }
            Narrowing::Names(names)
        } else if let Some((key, value)) = indexable_term(&query.annotations) {
            if value.is_empty() {
                Narrowing::KeyOrEvent(key.clone())
            } else {
                Narrowing::Tag(key.clone(), value.clone())
            }
        } else if query.min_duration.is_some() {
            // Zipkin's µs are the ns truncated (at least 1): bounds that keep every span whose µs match.
            let min = query
                .min_duration
                .map(|us| (us.max(1) as u64 - 1).saturating_mul(1000).saturating_add(1));
            let max = query
                .max_duration
                .map(|us| (us.max(0) as u64).saturating_add(1).saturating_mul(1000) - 1);
            Narrowing::Duration(min, max)
        } else {
            Narrowing::None
        };
        let (from, to) = query.window_ns();
        let index_query = self.zipkin_candidate_query(services.as_deref(), &narrowing, from, to);

        let mut found: Vec<(TraceId, Vec<model::Span>)> = Vec::new();
        let mut tested: HashSet<TraceId> = HashSet::new();
        let mut want = query.limit.saturating_mul(16).max(256);
        let mut batch = 1;
        loop {
            let (candidates, exhausted) =
                self.zipkin_candidate_trace_ids(&*index_query, from, to, want)?;
            let fresh: Vec<TraceId> =
                candidates.into_iter().filter(|id| tested.insert(*id)).collect();
            let mut rest = fresh.as_slice();
            while !rest.is_empty() && found.len() < query.limit {
                // First about as many traces as are still wanted (most candidates usually match), more at
                // once while they do not: each fetch has a fixed cost.
                let size = (query.limit - found.len()).max(batch).min(MAX_BATCH).min(rest.len());
                batch = (batch * 2).min(MAX_BATCH);
                let (chunk, tail) = rest.split_at(size);
                rest = tail;
                for (id, request) in self.traces(chunk)? {
                    let spans = zipkin_spans(&request);
                    if query.test(&spans) {
                        found.push((id, spans));
                        if found.len() == query.limit {
                            break;
                        }
                    }
                }
            }
            if exhausted || found.len() >= query.limit {
                break;
            }
            want = want.saturating_mul(4);
        }
        // Zipkin orders by the newest span timestamp (ms) in the window, then by trace id, descending.
        let (begin_ms, end_ms) = (query.end_ts - query.lookback, query.end_ts);
        let key = |spans: &[model::Span]| {
            spans
                .iter()
                .map(|s| (s.timestamp / 1000) as i64)
                .filter(|ms| *ms >= begin_ms && *ms <= end_ms)
                .max()
                .unwrap_or(0)
        };
        found.sort_by_cached_key(|(id, spans)| {
            (std::cmp::Reverse(key(spans)), std::cmp::Reverse(low_half(id)))
        });
        Ok(found)
    }

    fn zipkin_candidate_query(
        &self,
        services: Option<&[String]>,
        narrowing: &Narrowing,
        from: u64,
        to: u64,
    ) -> Box<dyn Query> {
        let f = self.fields();
        let any_of = |field: Field, values: &[String]| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                values
                    .iter()
                    .map(|v| {
                        let term = Term::from_field_text(field, v);
                        (
                            Occur::Should,
                            Box::new(TermQuery::new(term, IndexRecordOption::Basic))
                                as Box<dyn Query>,
                        )
                    })
                    .collect(),
            ))
        };
        let range = |field: Field, min: Option<u64>, max: Option<u64>| -> Box<dyn Query> {
            let lower = Bound::Included(Term::from_field_u64(field, min.unwrap_or(0)));
            let upper =
                max.map_or(Bound::Unbounded, |v| Bound::Included(Term::from_field_u64(field, v)));
            Box::new(RangeQuery::new(lower, upper))
        };
        let mut must: Vec<Box<dyn Query>> = vec![range(f.start, Some(from), Some(to))];
        if let Some(services) = services {
            must.push(any_of(f.service, services));
        }
        match narrowing {
            Narrowing::None => {}
            Narrowing::Names(names) => must.push(any_of(f.name, names)),
            Narrowing::Duration(min, max) => must.push(range(f.duration, *min, *max)),
            Narrowing::Tag(key, value) => must.push(self.tag_query(&TagFilter::Equals {
                key: key.to_string(),
                value: value.to_string(),
                or_event: false,
            })),
            Narrowing::KeyOrEvent(word) => {
                must.push(self.tag_query(&TagFilter::KeyOrEvent(word.to_string())))
            }
        }
        Box::new(BooleanQuery::new(must.into_iter().map(|q| (Occur::Must, q)).collect()))
    }

    /// The distinct trace ids of the `want` most recent spans matching `query`, most recent first, and
    /// whether those were all the matching spans.
    fn zipkin_candidate_trace_ids(
        &self,
        query: &dyn Query,
        from: u64,
        to: u64,
        want: usize,
    ) -> Result<(Vec<TraceId>, bool), StoreError> {
        let mut ids = Vec::new();
        let mut seen = HashSet::new();
        let mut taken = 0usize;
        // Partitions are disjoint in time and come newest first.
        for partition in self.partitions_between(Some(from), Some(to)) {
            let searcher = partition.reader.searcher();
            let hits: Vec<(u64, DocAddress)> = searcher.search(
                query,
                // Never more than the partition holds: the collector reserves room for its limit.
                &TopDocs::with_limit((want - taken).min(searcher.num_docs() as usize).max(1))
                    .order_by_fast_field::<u64>("start", Order::Desc),
            )?;
            taken += hits.len();
            let mut columns = TraceIdColumn::default();
            for (_, address) in hits {
                let id = columns.trace_id(&searcher, address)?;
                if seen.insert(id) {
                    ids.push(id);
                }
            }
            if taken >= want {
                return Ok((ids, false));
            }
        }
        Ok((ids, true))
    }

    /// Whole traces as Zipkin spans (in start order), for the dependency linker: like
    /// [`traces`](Store::traces), but each partition's documents are read in address order, so the stored
    /// blocks are decompressed once rather than once per span.
    pub(crate) fn zipkin_traces_for_links(
        &self,
        ids: &[TraceId],
    ) -> Result<Vec<Vec<model::Span>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let f = self.fields();
        let query = BooleanQuery::new(
            ids.iter()
                .map(|id| {
                    let term = Term::from_field_bytes(f.trace_id, id);
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                    )
                })
                .collect(),
        );
        let mut records: HashMap<TraceId, Vec<ResourceSpans>> = HashMap::new();
        for partition in self.partitions_between(None, None) {
            let searcher = partition.reader.searcher();
            let mut addresses: Vec<DocAddress> =
                searcher.search(&query, &DocSetCollector)?.into_iter().collect();
            addresses.sort();
            for address in addresses {
                let doc: TantivyDocument = searcher.doc(address)?;
                let bytes = doc.get_first(f.record).and_then(|v| v.as_bytes()).unwrap_or_default();
                let record = ResourceSpans::decode(bytes)?;
                let id = record
                    .scope_spans
                    .first()
                    .and_then(|ss| ss.spans.first())
                    .and_then(|s| translators::ids::widen_trace_id(&s.trace_id))
                    .unwrap_or_default();
                records.entry(id).or_default().push(record);
            }
        }
        Ok(ids
            .iter()
            .filter_map(|id| records.remove(id))
            .map(|mut records| {
                records.sort_by_key(|r| {
                    r.scope_spans
                        .first()
                        .and_then(|ss| ss.spans.first())
                        .map(|s| s.start_time_unix_nano)
                        .unwrap_or_default()
                });
                zipkin_spans(&ExportTraceServiceRequest { resource_spans: records })
            })
            .collect())
    }

    /// The distinct ids of the traces with a span that started in `[from, to]` (ns).
    pub(crate) fn zipkin_trace_ids_between(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<TraceId>, StoreError> {
        let f = self.fields();
        let query = RangeQuery::new(
            Bound::Included(Term::from_field_u64(f.start, from)),
            Bound::Included(Term::from_field_u64(f.start, to)),
        );
        let mut seen = HashSet::new();
        let mut ids = Vec::new();
        for partition in self.partitions_between(Some(from), Some(to)) {
            let searcher = partition.reader.searcher();
            let mut by_segment: BTreeMap<u32, BTreeSet<u64>> = BTreeMap::new();
            let mut columns: BTreeMap<u32, BytesColumn> = BTreeMap::new();
            for address in searcher.search(&query, &DocSetCollector)? {
                let column = match columns.entry(address.segment_ord) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(trace_id_column(&searcher, address.segment_ord)?)
                    }
                };
                // Spans of one trace share a term ordinal: look each ordinal's bytes up once.
                by_segment
                    .entry(address.segment_ord)
                    .or_default()
                    .extend(column.term_ords(address.doc_id));
            }
            let mut buf = Vec::new();
            for (segment, ords) in by_segment {
                let column = &columns[&segment];
                for ord in ords {
                    buf.clear();
                    column.ord_to_bytes(ord, &mut buf).map_err(|e| StoreError::Index(e.into()))?;
                    let id = translators::ids::widen_trace_id(&buf).unwrap_or_default();
                    if seen.insert(id) {
                        ids.push(id);
                    }
                }
            }
        }
        Ok(ids)
    }
}

fn low_half(id: &TraceId) -> [u8; 8] {
    let mut low = [0u8; 8];
    low.copy_from_slice(&id[8..]);
    low
}

fn trace_id_column(searcher: &Searcher, segment: u32) -> Result<BytesColumn, StoreError> {
    searcher.segment_reader(segment).fast_fields().bytes("trace_id")?.ok_or_else(|| {
        StoreError::Index(tantivy::TantivyError::SchemaError("fast field trace_id missing".into()))
    })
}

/// Reads documents' trace ids from the fast column, keeping the current segment's column open.
#[derive(Default)]
struct TraceIdColumn {
    current: Option<(u32, BytesColumn)>,
    buf: Vec<u8>,
}

impl TraceIdColumn {
    fn trace_id(
        &mut self,
        searcher: &Searcher,
        address: DocAddress,
    ) -> Result<TraceId, StoreError> {
        if self.current.as_ref().is_none_or(|(segment, _)| *segment != address.segment_ord) {
            self.current =
                Some((address.segment_ord, trace_id_column(searcher, address.segment_ord)?));
        }
        let (_, column) = self.current.as_ref().expect("just set");
        self.buf.clear();
        if let Some(ord) = column.term_ords(address.doc_id).next() {
            column.ord_to_bytes(ord, &mut self.buf).map_err(|e| StoreError::Index(e.into()))?;
        }
        Ok(translators::ids::widen_trace_id(&self.buf).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_queries_parse_as_zipkin_parses_them() {
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        assert_eq!(
            parse_annotation_query("error and http.status_code=504"),
            pairs(&[("error", ""), ("http.status_code", "504")])
        );
        // A later key=value replaces in place; a later bare key does not.
        assert_eq!(
            parse_annotation_query("a=1 and b and a=2 and b and  c = x=y "),
            pairs(&[("a", "2"), ("b", ""), ("c", "x=y")])
        );
        assert_eq!(parse_annotation_query(""), pairs(&[]));
    }

    #[test]
    fn the_index_narrows_by_a_copied_attribute_key_value_first() {
        let terms = parse_annotation_query("error and otlp.link.0 and http.route and user=ann");
        assert_eq!(indexable_term(&terms), Some(&("user".to_owned(), "ann".to_owned())));
        let terms = parse_annotation_query("error=boom and http.route");
        assert_eq!(indexable_term(&terms), Some(&("http.route".to_owned(), String::new())));
        let terms = parse_annotation_query("error and otel.library.name=x and {\"a\":{}}");
        assert_eq!(indexable_term(&terms), None);
    }
}
