//! Log records in the store: ingest, and search with a Lucene-style query string.
//!
//! Query syntax is tantivy's query parser, the `query_string` syntax Elasticsearch and Kibana users type:
//! words search the body (`timeout`, `"connection reset"`), `field:value` searches a field (`severity:ERROR`,
//! `service:checkout`, `trace_id:4bf9…`, `attributes.http.method:GET`, `resource.host.name:web-1`), with
//! `AND`, `OR`, `NOT`/`-`, parentheses and ranges (`severity_number:[17 TO 24]`). Terms are ANDed by
//! default, as a search box is expected to narrow.

use super::log_schema::{self, record_time};
use super::partitions::PartitionRange;
use super::{IngestOutcome, Signal, Store, StoreError};
use prost::Message as _;
use std::ops::Bound;
use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, RangeQuery};
use tantivy::schema::Value as _;
use tantivy::{DocAddress, Order, TantivyDocument, Term};
use translators::otlp::logs_model::{ExportLogsServiceRequest, ResourceLogs};

/// A log search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    /// The query string; empty or `*` matches every record.
    pub query: String,
    /// Records at or after this time (ns since the epoch).
    pub from: Option<u64>,
    /// Records at or before this time (ns).
    pub to: Option<u64>,
    /// At most this many records, newest first (0 means 100).
    pub limit: usize,
}

/// One record found: its time and the record with its resource and scope.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundLog {
    /// The time it is filed under (ns).
    pub time: u64,
    /// `ResourceLogs` holding the resource, the scope and this one record.
    pub record: ResourceLogs,
}

impl Store {
    /// Adds every log record of `request`, each to the partition of its time (its own, else when it was
    /// observed; a record with neither is filed at the time it arrives). Blocking.
    pub fn ingest_logs(
        &self,
        request: &ExportLogsServiceRequest,
    ) -> Result<IngestOutcome, StoreError> {
        let oldest_kept = self.oldest_kept();
        let now = super::now_unix_nanos();
        let mut outcome = IngestOutcome::default();
        let mut groups: Vec<(PartitionRange, Vec<TantivyDocument>)> = Vec::new();
        let default_resource = Default::default();
        let default_scope = Default::default();
        for rl in &request.resource_logs {
            let resource = rl.resource.as_ref().unwrap_or(&default_resource);
            let resource_bytes = resource.encode_to_vec();
            for sl in &rl.scope_logs {
                let scope = sl.scope.as_ref().unwrap_or(&default_scope);
                let scope_bytes = scope.encode_to_vec();
                for record in &sl.log_records {
                    let mut time = record_time(record);
                    let mut filed = None;
                    if time == 0 {
                        // Keep the record as sent, but file it (and find it) under its arrival time.
                        let mut stamped = record.clone();
                        stamped.observed_time_unix_nano = now;
                        time = now;
                        filed = Some(stamped);
                    }
                    let range = PartitionRange::containing(time, self.config().partition);
                    if range.end_nanos() <= oldest_kept {
                        outcome.expired += 1;
                        continue;
                    }
                    let doc = log_schema::log_document(
                        self.log_fields(),
                        resource,
                        scope,
                        &resource_bytes,
                        &scope_bytes,
                        filed.as_ref().unwrap_or(record),
                    );
                    super::push_grouped(&mut groups, range, doc);
                }
            }
        }
        outcome.stored = self.add_documents(Signal::Logs, groups)?;
        Ok(outcome)
    }

    /// The records matching `query`, newest first.
    pub fn search_logs(&self, query: &LogQuery) -> Result<Vec<FoundLog>, StoreError> {
        let limit = if query.limit == 0 { 100 } else { query.limit };
        let f = self.log_fields();
        let mut found: Vec<FoundLog> = Vec::new();
        for partition in self.log_partitions_between(query.from, query.to) {
            let parsed = self.parse_log_query(&partition.index, &query.query)?;
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, parsed)];
            if query.from.is_some() || query.to.is_some() {
                let bound = |v: Option<u64>| {
                    v.map_or(Bound::Unbounded, |v| Bound::Included(Term::from_field_u64(f.time, v)))
                };
                let lower = match (query.from, query.to) {
                    (None, _) => Bound::Included(Term::from_field_u64(f.time, 0)),
                    (from, _) => bound(from),
                };
                clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, bound(query.to)))));
            }
            let searcher = partition.reader.searcher();
            let hits: Vec<(u64, DocAddress)> = searcher.search(
                &BooleanQuery::new(clauses),
                // The collector reserves room for its whole limit: never more than the partition holds.
                &TopDocs::with_limit(limit.min(searcher.num_docs() as usize).max(1))
                    .order_by_fast_field::<u64>("time", Order::Desc),
            )?;
            for (time, address) in hits {
                let doc: TantivyDocument = searcher.doc(address)?;
                let bytes = doc.get_first(f.record).and_then(|v| v.as_bytes()).unwrap_or_default();
                found.push(FoundLog { time, record: ResourceLogs::decode(bytes)? });
            }
            // Partitions are disjoint in time and visited newest first.
            if found.len() >= limit {
                break;
            }
        }
        found.sort_by_key(|f| std::cmp::Reverse(f.time));
        found.truncate(limit);
        Ok(found)
    }

    fn parse_log_query(
        &self,
        index: &tantivy::Index,
        text: &str,
    ) -> Result<Box<dyn Query>, StoreError> {
        let text = text.trim();
        if text.is_empty() || text == "*" {
            return Ok(Box::new(AllQuery));
        }
        let f = self.log_fields();
        let mut parser = QueryParser::for_index(index, vec![f.body]);
        parser.set_conjunction_by_default();
        let parsed = match parser.parse_query(text) {
            // `-service:x` alone means "everything but", as in Elasticsearch's query_string: add a match-all
            // clause beside the exclusions.
            Err(tantivy::query::QueryParserError::AllButQueryForbidden) => {
                use tantivy::query_grammar::{UserInputAst, UserInputLeaf};
                let all = UserInputAst::Leaf(Box::new(UserInputLeaf::All));
                match tantivy::query_grammar::parse_query(text) {
                    Ok(UserInputAst::Clause(mut clauses)) => {
                        clauses.insert(0, (Some(Occur::Must), all));
                        parser.build_query_from_user_input_ast(UserInputAst::Clause(clauses))
                    }
                    _ => Err(tantivy::query::QueryParserError::AllButQueryForbidden),
                }
            }
            other => other,
        };
        parsed.map_err(|e| StoreError::Query(format!("{text:?}: {e}")))
    }
}
