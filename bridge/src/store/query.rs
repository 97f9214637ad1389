//! Reading the store: find traces by what one of their spans matches, fetch whole traces by id, list services,
//! operations and remote services, and the span facts dependency links are computed from.
//!
//! Search semantics follow Jaeger's: a trace matches when one of its spans matches every condition. The API
//! layers (Jaeger, Zipkin, the CLI) turn their parameters into a [`TraceQuery`].

use super::schema::{self, SEP};
use super::{Partition, Store, StoreError};
use prost::Message as _;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;
use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value as _};
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};
use translators::otlp::model::{ResourceSpans, Span};
use translators::ExportTraceServiceRequest;

/// A trace id, 16 bytes (64-bit ids are stored widened, high half zero).
pub type TraceId = [u8; 16];

/// One attribute condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagFilter {
    /// `key=value` among the span's attributes, its resource's attributes and the derived tags (`error=true`,
    /// `span.kind=server`, `otel.status_code=ERROR`...); with `or_event`, also among its events' attributes
    /// (Jaeger matches log fields too). Non-string values compare in their tag spelling (`true`, `42`, `1.5`).
    Equals {
        /// The attribute key.
        key: String,
        /// The value, as text.
        value: String,
        /// Also match event attributes and `event=<name>`.
        or_event: bool,
    },
    /// A tag key present, or an event with this name (Zipkin's one-word `annotationQuery`).
    KeyOrEvent(String),
}

/// What one span must match. Empty matches every span.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanFilter {
    /// `service.name` of the span's resource.
    pub service: Option<String>,
    /// Span name.
    pub operation: Option<String>,
    /// Span kind, lower case (`server`, `client`, `producer`, `consumer`, `internal`).
    pub kind: Option<String>,
    /// Every one must hold.
    pub tags: Vec<TagFilter>,
    /// Duration at least this (ns).
    pub min_duration: Option<u64>,
    /// Duration at most this (ns).
    pub max_duration: Option<u64>,
}

/// A trace search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceQuery {
    /// The conditions one span of the trace must meet.
    pub filter: SpanFilter,
    /// That span started at or after this (ns since the epoch).
    pub start_min: Option<u64>,
    /// That span started at or before this (ns).
    pub start_max: Option<u64>,
    /// At most this many traces (0 means 20, Jaeger's default).
    pub limit: usize,
}

/// A span name and kind seen for a service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Operation {
    /// The span name.
    pub name: String,
    /// The span kind, lower case (`unspecified` when the span had none).
    pub kind: String,
}

/// The facts of one span that dependency links are computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanSummary {
    /// Trace id.
    pub trace_id: TraceId,
    /// Span id.
    pub span_id: Vec<u8>,
    /// Parent span id (empty for a root).
    pub parent_span_id: Vec<u8>,
    /// `service.name`.
    pub service: String,
    /// Kind, lower case.
    pub kind: String,
    /// Status is ERROR.
    pub error: bool,
    /// `peer.service`, if set.
    pub remote_service: Option<String>,
}

/// A parent → child service edge with its call count.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DependencyLink {
    /// The calling service.
    pub parent: String,
    /// The called service.
    pub child: String,
    /// Spans of `child` whose parent span belongs to `parent`.
    pub call_count: u64,
    /// Of those, spans with status ERROR.
    pub error_count: u64,
}

impl Store {
    /// The ids of the traces with a span matching `query`, the most recently matched first.
    pub fn find_trace_ids(&self, query: &TraceQuery) -> Result<Vec<TraceId>, StoreError> {
        let limit = if query.limit == 0 { 20 } else { query.limit };
        let tantivy_query = self.span_query(&query.filter, query.start_min, query.start_max);
        let mut found: Vec<TraceId> = Vec::new();
        let mut seen: BTreeSet<TraceId> = BTreeSet::new();
        // Partitions are disjoint in time and visited newest first, so stopping once `limit` traces are
        // found keeps "most recent first" exact.
        for partition in self.partitions_between(query.start_min, query.start_max) {
            let searcher = partition.reader.searcher();
            // Several spans of one trace usually match: ask for more spans than traces, and more again when
            // the spans found all belonged to too few traces; never more than the partition holds, as the
            // collector reserves room for its whole limit.
            let total = (searcher.num_docs() as usize).max(1);
            let mut want = limit.saturating_mul(16).max(64).min(total);
            loop {
                let hits: Vec<(u64, DocAddress)> = searcher.search(
                    &tantivy_query,
                    &TopDocs::with_limit(want).order_by_fast_field::<u64>("start", Order::Desc),
                )?;
                let exhausted = hits.len() < want || want >= total;
                let mut batch_found = Vec::new();
                let mut batch_seen = seen.clone();
                let mut columns = TraceIdColumns::default();
                for (_, address) in &hits {
                    let id = columns.trace_id(&searcher, *address)?;
                    if batch_seen.insert(id) {
                        batch_found.push(id);
                        if found.len() + batch_found.len() == limit {
                            break;
                        }
                    }
                }
                if exhausted || found.len() + batch_found.len() >= limit {
                    seen = batch_seen;
                    found.extend(batch_found);
                    break;
                }
                want = want.saturating_mul(4).min(total);
            }
            if found.len() >= limit {
                break;
            }
        }
        Ok(found)
    }

    /// Whole traces by id, each as one request grouped by resource and scope, spans in start-time order; ids
    /// not found are left out. The result keeps the order of `ids`.
    pub fn traces(
        &self,
        ids: &[TraceId],
    ) -> Result<Vec<(TraceId, ExportTraceServiceRequest)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let f = self.fields();
        let clauses: Vec<(Occur, Box<dyn Query>)> = ids
            .iter()
            .map(|id| {
                let term = Term::from_field_bytes(f.trace_id, id);
                (
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                )
            })
            .collect();
        let query = BooleanQuery::new(clauses);
        let mut spans: HashMap<TraceId, Vec<ResourceSpans>> = HashMap::new();
        // A trace can cross partition boundaries (and late spans land in old partitions): look in all.
        for partition in self.partitions_between(None, None) {
            let searcher = partition.reader.searcher();
            let addresses = searcher.search(&query, &DocSetCollector)?;
            for address in addresses {
                let record = stored_record(&searcher, f.record, address)?;
                let id = record_trace_id(&record);
                spans.entry(id).or_default().push(record);
            }
        }
        Ok(ids
            .iter()
            .filter_map(|id| spans.remove(id).map(|records| (*id, assemble(records))))
            .collect())
    }

    /// The ids of the traces with a span linking to a span of `trace` (a batch job's trace from the traces of
    /// the requests it serves, a consumer's from its producer's).
    pub fn traces_linking_to(&self, trace: TraceId) -> Result<Vec<TraceId>, StoreError> {
        let f = self.fields();
        let query = TermQuery::new(
            Term::from_field_bytes(f.link_trace_id, &trace),
            IndexRecordOption::Basic,
        );
        let mut found = BTreeSet::new();
        for partition in self.partitions_between(None, None) {
            let searcher = partition.reader.searcher();
            let mut columns = TraceIdColumns::default();
            for address in searcher.search(&query, &DocSetCollector)? {
                found.insert(columns.trace_id(&searcher, address)?);
            }
        }
        Ok(found.into_iter().collect())
    }

    /// [`find_trace_ids`](Self::find_trace_ids) then [`traces`](Self::traces).
    pub fn find_traces(
        &self,
        query: &TraceQuery,
    ) -> Result<Vec<(TraceId, ExportTraceServiceRequest)>, StoreError> {
        let ids = self.find_trace_ids(query)?;
        self.traces(&ids)
    }

    /// Every service name in the store, sorted (the empty name of spans without one left out).
    pub fn services(&self) -> Result<Vec<String>, StoreError> {
        let mut services = BTreeSet::new();
        for partition in self.partitions_between(None, None) {
            for_each_term(&partition, self.fields().service, "", |term| {
                if !term.is_empty() {
                    services.insert(term.to_owned());
                }
            })?;
        }
        Ok(services.into_iter().collect())
    }

    /// The span names (with kinds) of `service`, sorted; `kind` keeps one kind only.
    pub fn operations(
        &self,
        service: &str,
        kind: Option<&str>,
    ) -> Result<Vec<Operation>, StoreError> {
        let prefix = format!("{service}{SEP}");
        let mut operations = BTreeSet::new();
        for partition in self.partitions_between(None, None) {
            for_each_term(&partition, self.fields().operation, &prefix, |term| {
                let rest = &term[prefix.len()..];
                if let Some((span_kind, name)) = rest.split_once(SEP) {
                    if kind.is_none_or(|k| k == span_kind) {
                        operations.insert(Operation {
                            name: name.to_owned(),
                            kind: span_kind.to_owned(),
                        });
                    }
                }
            })?;
        }
        Ok(operations.into_iter().collect())
    }

    /// The `peer.service` values of `service`'s spans, sorted.
    pub fn remote_services(&self, service: &str) -> Result<Vec<String>, StoreError> {
        let prefix = format!("{service}{SEP}");
        let mut remotes = BTreeSet::new();
        for partition in self.partitions_between(None, None) {
            for_each_term(&partition, self.fields().remote_service, &prefix, |term| {
                remotes.insert(term[prefix.len()..].to_owned());
            })?;
        }
        Ok(remotes.into_iter().collect())
    }

    /// The summaries of the spans that started in `[from, to]` (ns). Reads only fast columns, each segment's
    /// values resolved in one ordered pass over each column's dictionary (looking terms up span by span
    /// decodes a dictionary block each time).
    pub fn span_summaries(&self, from: u64, to: u64) -> Result<Vec<SpanSummary>, StoreError> {
        let f = self.fields();
        let query = RangeQuery::new(
            Bound::Included(Term::from_field_u64(f.start, from)),
            Bound::Included(Term::from_field_u64(f.start, to)),
        );
        let mut out = Vec::new();
        for partition in self.partitions_between(Some(from), Some(to)) {
            let searcher = partition.reader.searcher();
            let mut addresses: Vec<DocAddress> =
                searcher.search(&query, &DocSetCollector)?.into_iter().collect();
            addresses.sort();
            for segment_docs in addresses.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
                let rows: Vec<u32> = segment_docs.iter().map(|d| d.doc_id).collect();
                let fast = searcher.segment_reader(segment_docs[0].segment_ord).fast_fields();
                let bytes = |name: &str| -> Result<Vec<Vec<u8>>, StoreError> {
                    match fast.bytes(name)? {
                        Some(column) => first_values(&column, &rows),
                        None => Ok(vec![Vec::new(); rows.len()]),
                    }
                };
                let text = |name: &str| -> Result<Vec<String>, StoreError> {
                    let values = match fast.str(name)? {
                        Some(column) => first_values(&column, &rows)?,
                        None => vec![Vec::new(); rows.len()],
                    };
                    Ok(values
                        .into_iter()
                        .map(|v| String::from_utf8_lossy(&v).into_owned())
                        .collect())
                };
                let (trace_ids, span_ids, parents) =
                    (bytes("trace_id")?, bytes("span_id")?, bytes("parent_span_id")?);
                let (services, kinds, statuses, remotes) =
                    (text("service")?, text("kind")?, text("status")?, text("remote_service")?);
                for i in 0..rows.len() {
                    out.push(SpanSummary {
                        trace_id: to_trace_id(&trace_ids[i]),
                        span_id: span_ids[i].clone(),
                        parent_span_id: parents[i].clone(),
                        service: services[i].clone(),
                        kind: kinds[i].clone(),
                        error: statuses[i] == "error",
                        remote_service: remotes[i].split_once(SEP).map(|(_, r)| r.to_owned()),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Parent → child service edges of the spans that started in `[from, to]` (ns): each span whose parent
    /// span (also in the window) belongs to another service is one call — or, with `same_service`, any
    /// parent's service, as Jaeger's own stores count (`checkout → checkout`). Sorted by parent then child.
    pub fn dependencies(
        &self,
        from: u64,
        to: u64,
        same_service: bool,
    ) -> Result<Vec<DependencyLink>, StoreError> {
        let summaries = self.span_summaries(from, to)?;
        let service_of: HashMap<(TraceId, &[u8]), &str> = summaries
            .iter()
            .map(|s| ((s.trace_id, s.span_id.as_slice()), s.service.as_str()))
            .collect();
        let mut links: BTreeMap<(&str, &str), (u64, u64)> = BTreeMap::new();
        for span in &summaries {
            if span.parent_span_id.is_empty() {
                continue;
            }
            let Some(parent) = service_of.get(&(span.trace_id, span.parent_span_id.as_slice()))
            else {
                continue;
            };
            if same_service || *parent != span.service {
                let entry = links.entry((parent, span.service.as_str())).or_default();
                entry.0 += 1;
                entry.1 += u64::from(span.error);
            }
        }
        Ok(links
            .into_iter()
            .map(|((parent, child), (call_count, error_count))| DependencyLink {
                parent: parent.to_owned(),
                child: child.to_owned(),
                call_count,
                error_count,
            })
            .collect())
    }

    /// The query for one tag condition. The tags every legacy format derives from a span's kind and status
    /// (`span.kind=server`, `error=true`, `otel.status_code=ERROR|OK`) are not indexed as tags: they are
    /// answered from the `kind` and `status` fields, a span attribute of that name counting too.
    pub(crate) fn tag_query(&self, tag: &TagFilter) -> Box<dyn Query> {
        let f = self.fields();
        let text = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        let any = |queries: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(queries.into_iter().map(|q| (Occur::Should, q)).collect()))
        };
        match tag {
            TagFilter::Equals { key, value, or_event } => {
                let term = schema::tag_term_text(key, value);
                let mut queries = vec![text(f.tags, &term)];
                if *or_event {
                    queries.push(text(f.event_tags, &term));
                }
                match (key.as_str(), value.as_str()) {
                    ("span.kind", kind) => queries.push(text(f.kind, kind)),
                    ("error", "true") | ("otel.status_code", "ERROR") => {
                        queries.push(text(f.status, "error"))
                    }
                    ("otel.status_code", "OK") => queries.push(text(f.status, "ok")),
                    _ => {}
                }
                any(queries)
            }
            TagFilter::KeyOrEvent(word) => {
                let mut queries = vec![
                    key_present(f.tags, word),
                    text(f.event_tags, &schema::tag_term_text("event", word)),
                ];
                match word.as_str() {
                    "error" => queries.push(text(f.status, "error")),
                    "otel.status_code" => {
                        queries.push(text(f.status, "error"));
                        queries.push(text(f.status, "ok"));
                    }
                    "span.kind" => {
                        for kind in ["server", "client", "producer", "consumer", "internal"] {
                            queries.push(text(f.kind, kind));
                        }
                    }
                    _ => {}
                }
                any(queries)
            }
        }
    }

    /// The tantivy query for spans matching `filter` that started in `[from, to]`.
    fn span_query(
        &self,
        filter: &SpanFilter,
        from: Option<u64>,
        to: Option<u64>,
    ) -> Box<dyn Query> {
        let f = self.fields();
        let text = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        let mut must: Vec<Box<dyn Query>> = Vec::new();
        if let Some(service) = &filter.service {
            must.push(text(f.service, service));
        }
        if let Some(operation) = &filter.operation {
            must.push(text(f.name, operation));
        }
        if let Some(kind) = &filter.kind {
            must.push(text(f.kind, kind));
        }
        for tag in &filter.tags {
            must.push(self.tag_query(tag));
        }
        if filter.min_duration.is_some() || filter.max_duration.is_some() {
            must.push(u64_range(f.duration, filter.min_duration, filter.max_duration));
        }
        if from.is_some() || to.is_some() {
            must.push(u64_range(f.start, from, to));
        }
        if must.is_empty() {
            return Box::new(AllQuery);
        }
        Box::new(BooleanQuery::new(must.into_iter().map(|q| (Occur::Must, q)).collect()))
    }
}

/// Tags are indexed as `key=value`: a key is present when a term falls in `key=` .. `key>` ('>' follows '='
/// in ASCII).
fn key_present(field: Field, key: &str) -> Box<dyn Query> {
    Box::new(RangeQuery::new(
        Bound::Included(Term::from_field_text(field, &format!("{key}="))),
        Bound::Excluded(Term::from_field_text(field, &format!("{key}>"))),
    ))
}

fn u64_range(field: Field, min: Option<u64>, max: Option<u64>) -> Box<dyn Query> {
    let lower = min.map_or(Bound::Unbounded, |v| Bound::Included(Term::from_field_u64(field, v)));
    let upper = max.map_or(Bound::Unbounded, |v| Bound::Included(Term::from_field_u64(field, v)));
    let lower = match (&lower, &upper) {
        // tantivy needs one bound to know the field.
        (Bound::Unbounded, Bound::Unbounded) => Bound::Included(Term::from_field_u64(field, 0)),
        _ => lower,
    };
    Box::new(RangeQuery::new(lower, upper))
}

/// Calls `each` with every term of `field` starting with `prefix`, in every segment of `partition`.
fn for_each_term(
    partition: &Arc<Partition>,
    field: Field,
    prefix: &str,
    mut each: impl FnMut(&str),
) -> Result<(), StoreError> {
    let searcher = partition.reader.searcher();
    for segment in searcher.segment_readers() {
        let index = segment.inverted_index(field)?;
        let terms = index.terms();
        let mut stream = if prefix.is_empty() {
            terms.stream().map_err(|e| StoreError::Index(e.into()))?
        } else {
            let mut end = prefix.as_bytes().to_vec();
            // Separators end every prefix used here, so bumping the last byte bounds the range.
            if let Some(last) = end.last_mut() {
                *last += 1;
            }
            terms
                .range()
                .ge(prefix)
                .lt(&end)
                .into_stream()
                .map_err(|e| StoreError::Index(e.into()))?
        };
        while stream.advance() {
            if let Ok(term) = std::str::from_utf8(stream.key()) {
                each(term);
            }
        }
    }
    Ok(())
}

/// Reads trace ids from the fast column, keeping the current segment's column open.
#[derive(Default)]
struct TraceIdColumns {
    current: Option<(u32, tantivy::columnar::BytesColumn)>,
    buf: Vec<u8>,
}

impl TraceIdColumns {
    fn trace_id(
        &mut self,
        searcher: &Searcher,
        address: DocAddress,
    ) -> Result<TraceId, StoreError> {
        if self.current.as_ref().is_none_or(|(ord, _)| *ord != address.segment_ord) {
            let column = searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .bytes("trace_id")?
                .ok_or_else(|| missing_column("trace_id"))?;
            self.current = Some((address.segment_ord, column));
        }
        let (_, column) = self.current.as_ref().expect("just set");
        read_bytes(column, address.doc_id, &mut self.buf)?;
        Ok(to_trace_id(&self.buf))
    }
}

/// The first value of `column` in each of `rows` (empty when none), the terms found in one pass over the
/// column's dictionary in ord order.
fn first_values(
    column: &tantivy::columnar::BytesColumn,
    rows: &[u32],
) -> Result<Vec<Vec<u8>>, StoreError> {
    let ords: Vec<Option<u64>> = rows.iter().map(|row| column.term_ords(*row).next()).collect();
    let mut sorted: Vec<u64> = ords.iter().flatten().copied().collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut terms: Vec<Vec<u8>> = Vec::with_capacity(sorted.len());
    column
        .dictionary()
        .sorted_ords_to_term_cb(sorted.iter().copied(), |term| {
            terms.push(term.to_vec());
            Ok(())
        })
        .map_err(|e| StoreError::Index(e.into()))?;
    Ok(ords
        .into_iter()
        .map(|ord| {
            ord.and_then(|ord| sorted.binary_search(&ord).ok())
                .and_then(|i| terms.get(i).cloned())
                .unwrap_or_default()
        })
        .collect())
}

/// The (first) value of a bytes column for `doc`, or empty.
fn read_bytes(
    column: &tantivy::columnar::BytesColumn,
    doc: u32,
    out: &mut Vec<u8>,
) -> Result<(), StoreError> {
    out.clear();
    if let Some(ord) = column.term_ords(doc).next() {
        column.ord_to_bytes(ord, out).map_err(|e| StoreError::Index(e.into()))?;
    }
    Ok(())
}

fn missing_column(name: &str) -> StoreError {
    StoreError::Index(tantivy::TantivyError::SchemaError(format!("fast field {name} missing")))
}

fn to_trace_id(bytes: &[u8]) -> TraceId {
    translators::ids::widen_trace_id(bytes).unwrap_or_default()
}

fn stored_record(
    searcher: &Searcher,
    field: Field,
    address: DocAddress,
) -> Result<ResourceSpans, StoreError> {
    let doc: TantivyDocument = searcher.doc(address)?;
    let bytes = doc.get_first(field).and_then(|v| v.as_bytes()).unwrap_or_default();
    Ok(ResourceSpans::decode(bytes)?)
}

fn record_span(record: &ResourceSpans) -> Option<&Span> {
    record.scope_spans.first().and_then(|ss| ss.spans.first())
}

fn record_trace_id(record: &ResourceSpans) -> TraceId {
    record_span(record).map(|s| to_trace_id(&s.trace_id)).unwrap_or_default()
}

/// One trace's records back into one request, spans in start-time order, grouped by resource and scope (with
/// their schema URLs, so a trace comes back as it was sent).
fn assemble(mut records: Vec<ResourceSpans>) -> ExportTraceServiceRequest {
    records.sort_by_key(|r| {
        record_span(r).map(|s| (s.start_time_unix_nano, s.span_id.clone())).unwrap_or_default()
    });
    let mut out: Vec<ResourceSpans> = Vec::new();
    for record in records {
        let at = out
            .iter()
            .position(|rs| rs.resource == record.resource && rs.schema_url == record.schema_url);
        let rs = match at {
            Some(i) => &mut out[i],
            None => {
                out.push(ResourceSpans {
                    resource: record.resource.clone(),
                    scope_spans: Vec::new(),
                    schema_url: record.schema_url.clone(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        for ss in record.scope_spans {
            match rs
                .scope_spans
                .iter_mut()
                .find(|mine| mine.scope == ss.scope && mine.schema_url == ss.schema_url)
            {
                Some(mine) => mine.spans.extend(ss.spans),
                None => rs.scope_spans.push(ss),
            }
        }
    }
    ExportTraceServiceRequest { resource_spans: out }
}
