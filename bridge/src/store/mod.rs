//! The embedded store: spans and log records indexed into tantivy under a data folder (`traces/`, `logs/`), one
//! index per time partition, kept for a retention period and searchable through the Jaeger and Zipkin query
//! APIs and `otelbridge search`.
//!
//! Durability: documents become durable (and visible to queries) at each commit, which runs on a timer
//! (`commit_interval`), never per request. A crash loses at most what arrived since the last commit.

pub mod jaeger_api;
pub(crate) mod log_schema;
pub mod logs;
pub mod partitions;
pub mod query;
pub(crate) mod schema;
pub mod stats;
pub mod zipkin_api;

use crate::config::duration::{ByteSize, ConfigDuration};
use partitions::{Granularity, PartitionRange};
use prost::Message as _;
use schema::{SpanContext, SpanFields};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};
use thiserror::Error;
use translators::ExportTraceServiceRequest;

/// Settings of the embedded store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Folder holding the store (spans under `traces/`, log records under `logs/`). Default
    /// `./otelbridge-data`.
    pub data_dir: PathBuf,
    /// Time covered by one partition (one index): `hour` (default) or `day`.
    pub partition: Granularity,
    /// How long data is kept, by span start time and log record time; whole partitions are dropped once they
    /// are older. Default `72h`.
    pub retention: ConfigDuration,
    /// How often what was received is committed: made durable and visible to queries. A crash loses at most
    /// this much. Default `5s`.
    pub commit_interval: ConfigDuration,
    /// Indexing memory per open partition writer (tantivy needs at least 15 MiB). Default `64MiB`.
    pub writer_memory: ByteSize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            data_dir: PathBuf::from("./otelbridge-data"),
            partition: Granularity::Hour,
            retention: ConfigDuration(Duration::from_secs(72 * 3600)),
            commit_interval: ConfigDuration(Duration::from_secs(5)),
            writer_memory: ByteSize(64 << 20),
        }
    }
}

/// At most this many partitions have an open writer at once (each holds its memory budget and a thread);
/// backfilling many hours of archived data closes the least recently written ones.
const MAX_OPEN_WRITERS: usize = 3;
const MAX_OPEN_LOG_WRITERS: usize = 2;
const MIN_WRITER_MEMORY: u64 = 15 << 20;

/// What went wrong in the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A search query could not be parsed.
    #[error("query: {0}")]
    Query(String),
    /// The index library failed (I/O underneath, a corrupt index).
    #[error("store index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// A file operation failed.
    #[error("store folder {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A stored record could not be decoded (the store was written by an incompatible version).
    #[error("stored span unreadable: {0}")]
    Record(#[from] prost::DecodeError),
    /// The store was opened for reading only.
    #[error("the store is open read-only")]
    ReadOnly,
}

/// What one ingest did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Spans added (durable at the next commit).
    pub stored: usize,
    /// Spans older than the retention, not stored.
    pub expired: usize,
}

/// The store. Shared (`Arc`) by the `store` exporter, the query APIs and the maintenance task.
pub struct Store {
    config: StoreConfig,
    fields: SpanFields,
    log_fields: log_schema::LogFields,
    read_only: bool,
    spans: PartitionSet,
    logs: PartitionSet,
}

/// The partitions of one signal: one index per time range, all with one schema.
pub(crate) struct PartitionSet {
    root: PathBuf,
    schema: tantivy::schema::Schema,
    partitions: RwLock<BTreeMap<PartitionRange, Arc<Partition>>>,
}

pub(crate) struct Partition {
    pub range: PartitionRange,
    dir: PathBuf,
    pub(crate) index: Index,
    pub reader: IndexReader,
    writer: Mutex<WriterSlot>,
}

#[derive(Default)]
struct WriterSlot {
    writer: Option<IndexWriter>,
    /// Documents added since the last commit.
    pending: u64,
    last_write: Option<Instant>,
}

impl Store {
    /// Opens (or creates) the store under `config.data_dir`, reopening every partition found there.
    pub fn open(config: &StoreConfig) -> Result<Arc<Store>, StoreError> {
        Self::open_with(config, false)
    }

    /// Opens an existing store for queries only (`otelbridge search`, `export`), e.g. while a running service
    /// writes to it; sees what was committed when it opened.
    pub fn open_read_only(data_dir: &Path) -> Result<Arc<Store>, StoreError> {
        let config = StoreConfig { data_dir: data_dir.to_path_buf(), ..StoreConfig::default() };
        Self::open_with(&config, true)
    }

    fn open_with(config: &StoreConfig, read_only: bool) -> Result<Arc<Store>, StoreError> {
        let fields = SpanFields::new();
        let log_fields = log_schema::LogFields::new();
        let spans =
            PartitionSet::open(config.data_dir.join("traces"), fields.schema.clone(), read_only)?;
        let logs =
            PartitionSet::open(config.data_dir.join("logs"), log_fields.schema.clone(), read_only)?;
        Ok(Arc::new(Store { config: config.clone(), fields, log_fields, read_only, spans, logs }))
    }

    /// The store's settings.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// The time ranges of the span partitions on disk, oldest first.
    pub fn partition_ranges(&self) -> Vec<PartitionRange> {
        self.spans.ranges()
    }

    /// The time ranges of the log partitions on disk, oldest first.
    pub fn log_partition_ranges(&self) -> Vec<PartitionRange> {
        self.logs.ranges()
    }

    pub(crate) fn fields(&self) -> &SpanFields {
        &self.fields
    }

    pub(crate) fn log_fields(&self) -> &log_schema::LogFields {
        &self.log_fields
    }

    /// The span partitions overlapping `[from, to]` (ns), newest first.
    pub(crate) fn partitions_between(
        &self,
        from: Option<u64>,
        to: Option<u64>,
    ) -> Vec<Arc<Partition>> {
        self.spans.between(from, to)
    }

    /// The log partitions overlapping `[from, to]` (ns), newest first.
    pub(crate) fn log_partitions_between(
        &self,
        from: Option<u64>,
        to: Option<u64>,
    ) -> Vec<Arc<Partition>> {
        self.logs.between(from, to)
    }

    /// The earliest time (ns) still kept: data older than this is not stored.
    pub(crate) fn oldest_kept(&self) -> u64 {
        now_unix_nanos().saturating_sub(self.config.retention.0.as_nanos() as u64)
    }

    /// Adds documents, grouped by partition, to their partitions.
    pub(crate) fn add_documents(
        &self,
        signal: Signal,
        groups: Vec<(PartitionRange, Vec<TantivyDocument>)>,
    ) -> Result<usize, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let set = match signal {
            Signal::Spans => &self.spans,
            Signal::Logs => &self.logs,
        };
        let mut stored = 0;
        for (range, docs) in groups {
            let partition = set.for_write(range)?;
            let count = docs.len();
            set.ensure_writer(&partition, self.writer_memory(), signal.max_open_writers())?;
            let mut slot = partition.writer.lock().expect("writer lock");
            let writer = match slot.writer.as_ref() {
                Some(writer) => writer,
                // Closed between `ensure_writer` and here by a concurrent ingest: open it again.
                None => {
                    slot.writer = Some(partition.open_writer(self.writer_memory())?);
                    slot.writer.as_ref().expect("just opened")
                }
            };
            // One hand-over to the indexing thread for the whole group, not one per document.
            writer.run(docs.into_iter().map(tantivy::indexer::UserOperation::Add))?;
            slot.pending += count as u64;
            slot.last_write = Some(Instant::now());
            stored += count;
        }
        Ok(stored)
    }

    /// Adds every span of `request`, each to the partition of its start time. Blocking (index work): call it
    /// off the async reactor.
    pub fn ingest(&self, request: &ExportTraceServiceRequest) -> Result<IngestOutcome, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let oldest_kept = self.oldest_kept();
        let mut outcome = IngestOutcome::default();
        let mut groups: Vec<(PartitionRange, Vec<TantivyDocument>)> = Vec::new();
        let default_resource = Default::default();
        let default_scope = Default::default();
        for rs in &request.resource_spans {
            let resource = rs.resource.as_ref().unwrap_or(&default_resource);
            let resource_bytes = resource.encode_to_vec();
            for ss in &rs.scope_spans {
                let scope = ss.scope.as_ref().unwrap_or(&default_scope);
                let scope_bytes = scope.encode_to_vec();
                let ctx = SpanContext {
                    resource,
                    scope,
                    resource_bytes: &resource_bytes,
                    scope_bytes: &scope_bytes,
                    resource_schema_url: &rs.schema_url,
                    scope_schema_url: &ss.schema_url,
                };
                for span in &ss.spans {
                    let range = PartitionRange::containing(
                        span.start_time_unix_nano,
                        self.config.partition,
                    );
                    if range.end_nanos() <= oldest_kept {
                        outcome.expired += 1;
                        continue;
                    }
                    push_grouped(
                        &mut groups,
                        range,
                        schema::span_document(&self.fields, &ctx, span),
                    );
                }
            }
        }
        outcome.stored = self.add_documents(Signal::Spans, groups)?;
        Ok(outcome)
    }

    fn writer_memory(&self) -> u64 {
        self.config.writer_memory.0.max(MIN_WRITER_MEMORY)
    }

    /// Commits every partition with uncommitted data, making it durable and visible, and closes the writers
    /// of partitions that received nothing since the previous commit. Blocking.
    pub fn commit(&self) -> Result<(), StoreError> {
        let idle_after = self.config.commit_interval.0 * 2;
        let spans = self.spans.commit(idle_after);
        let logs = self.logs.commit(idle_after);
        spans.and(logs)
    }

    /// Drops the partitions that ended before `now − retention`; returns how many.
    pub fn enforce_retention(&self) -> Result<usize, StoreError> {
        if self.read_only {
            return Ok(0);
        }
        let oldest_kept = self.oldest_kept();
        Ok(self.spans.enforce_retention(oldest_kept)? + self.logs.enforce_retention(oldest_kept)?)
    }

    /// Commits and closes every writer (at shutdown). Blocking.
    pub fn close(&self) -> Result<(), StoreError> {
        self.spans.close()?;
        self.logs.close()
    }

    /// Commits on the timer and applies retention once a minute until `stop`, then commits and closes.
    pub async fn maintain(self: Arc<Self>, stop: tokio_util::sync::CancellationToken) {
        // `0s` would make the timer panic; committing more often than every 10 ms buys nothing.
        let period = self.config.commit_interval.0.max(Duration::from_millis(10));
        let mut commit_tick = tokio::time::interval(period);
        commit_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_retention: Option<Instant> = None;
        loop {
            tokio::select! {
                _ = commit_tick.tick() => {}
                _ = stop.cancelled() => break,
            }
            let store = self.clone();
            let run_retention =
                last_retention.is_none_or(|at| at.elapsed() >= Duration::from_secs(60));
            if run_retention {
                last_retention = Some(Instant::now());
            }
            let _ = tokio::task::spawn_blocking(move || {
                let _ = store.commit();
                if run_retention {
                    if let Err(e) = store.enforce_retention() {
                        tracing::error!("retention: {e}");
                    }
                }
            })
            .await;
        }
        let store = self.clone();
        match tokio::task::spawn_blocking(move || store.close()).await {
            Ok(Err(e)) => tracing::error!("store close: {e}"),
            Err(e) => tracing::error!("store close: {e}"),
            Ok(Ok(())) => {}
        }
    }
}

/// Which partition set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    Spans,
    Logs,
}

impl Signal {
    fn max_open_writers(self) -> usize {
        match self {
            Signal::Spans => MAX_OPEN_WRITERS,
            Signal::Logs => MAX_OPEN_LOG_WRITERS,
        }
    }
}

impl PartitionSet {
    /// Reads the partitions found under `root` (creating it unless `read_only`).
    fn open(
        root: PathBuf,
        schema: tantivy::schema::Schema,
        read_only: bool,
    ) -> Result<Self, StoreError> {
        if !read_only {
            std::fs::create_dir_all(&root)
                .map_err(|source| StoreError::Io { path: root.clone(), source })?;
        }
        let mut partitions = BTreeMap::new();
        let entries = match std::fs::read_dir(&root) {
            Ok(entries) => entries.collect::<Vec<_>>(),
            Err(e) if read_only && e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(StoreError::Io { path: root, source }),
        };
        for entry in entries.into_iter().flatten() {
            let name = entry.file_name();
            let Some(range) = name.to_str().and_then(PartitionRange::parse_folder_name) else {
                continue;
            };
            match Partition::open(range, entry.path(), &schema) {
                Ok(partition) => {
                    partitions.insert(range, Arc::new(partition));
                }
                // One damaged partition must not take the others down; it stays on disk for inspection.
                Err(e) => {
                    tracing::error!(partition = %entry.path().display(), "cannot open, skipped: {e}")
                }
            }
        }
        Ok(PartitionSet { root, schema, partitions: RwLock::new(partitions) })
    }

    fn ranges(&self) -> Vec<PartitionRange> {
        self.partitions.read().expect("partitions lock").keys().copied().collect()
    }

    fn all(&self) -> Vec<Arc<Partition>> {
        self.partitions.read().expect("partitions lock").values().cloned().collect()
    }

    /// The partitions overlapping `[from, to]` (ns), newest first.
    fn between(&self, from: Option<u64>, to: Option<u64>) -> Vec<Arc<Partition>> {
        let partitions = self.partitions.read().expect("partitions lock");
        partitions.values().rev().filter(|p| p.range.overlaps(from, to)).cloned().collect()
    }

    fn for_write(&self, range: PartitionRange) -> Result<Arc<Partition>, StoreError> {
        if let Some(p) = self.partitions.read().expect("partitions lock").get(&range) {
            return Ok(p.clone());
        }
        let mut partitions = self.partitions.write().expect("partitions lock");
        if let Some(p) = partitions.get(&range) {
            return Ok(p.clone());
        }
        let dir = self.root.join(range.folder_name());
        let partition = Arc::new(Partition::create(range, dir, &self.schema)?);
        partitions.insert(range, partition.clone());
        Ok(partition)
    }

    /// Makes sure `partition` has a writer, first closing the least recently written other partition's writer
    /// when `max_open` are open.
    fn ensure_writer(
        &self,
        partition: &Arc<Partition>,
        memory: u64,
        max_open: usize,
    ) -> Result<(), StoreError> {
        if partition.has_writer() {
            return Ok(());
        }
        let open: Vec<Arc<Partition>> = self.all().into_iter().filter(|p| p.has_writer()).collect();
        if open.len() >= max_open {
            if let Some(lru) = open
                .iter()
                .filter(|p| p.range != partition.range)
                .min_by_key(|p| p.writer.lock().expect("writer lock").last_write)
            {
                lru.commit(true)?;
            }
        }
        let mut slot = partition.writer.lock().expect("writer lock");
        if slot.writer.is_none() {
            slot.writer = Some(partition.open_writer(memory)?);
        }
        Ok(())
    }

    /// Commits every partition with pending documents; closes writers idle for longer than `idle_after`.
    fn commit(&self, idle_after: Duration) -> Result<(), StoreError> {
        let mut first_error = None;
        for partition in self.all() {
            let idle = {
                let slot = partition.writer.lock().expect("writer lock");
                slot.writer.is_some()
                    && slot.pending == 0
                    && slot.last_write.is_some_and(|at| at.elapsed() > idle_after)
            };
            if let Err(e) = partition.commit(idle) {
                tracing::error!(partition = %partition.dir.display(), "commit failed: {e}");
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Drops the partitions that ended at or before `oldest_kept` (ns); returns how many.
    fn enforce_retention(&self, oldest_kept: u64) -> Result<usize, StoreError> {
        let expired: Vec<Arc<Partition>> = {
            let mut partitions = self.partitions.write().expect("partitions lock");
            let ranges: Vec<PartitionRange> =
                partitions.keys().filter(|r| r.end_nanos() <= oldest_kept).copied().collect();
            ranges.iter().filter_map(|r| partitions.remove(r)).collect()
        };
        let count = expired.len();
        for partition in expired {
            let writer = partition.writer.lock().expect("writer lock").writer.take();
            if let Some(writer) = writer {
                // Nothing of it is kept: no commit, just stop its threads.
                let _ = writer.wait_merging_threads();
            }
            let dir = partition.dir.clone();
            drop(partition);
            std::fs::remove_dir_all(&dir)
                .map_err(|source| StoreError::Io { path: dir.clone(), source })?;
            tracing::info!(partition = %dir.display(), "retention: partition dropped");
        }
        Ok(count)
    }

    fn close(&self) -> Result<(), StoreError> {
        for partition in self.all() {
            partition.commit(true)?;
        }
        Ok(())
    }
}

impl Partition {
    fn create(
        range: PartitionRange,
        dir: PathBuf,
        schema: &tantivy::schema::Schema,
    ) -> Result<Self, StoreError> {
        std::fs::create_dir_all(&dir)
            .map_err(|source| StoreError::Io { path: dir.clone(), source })?;
        let index = match Index::open_in_dir(&dir) {
            Ok(index) => index,
            Err(_) => Index::create_in_dir(&dir, schema.clone())?,
        };
        Self::with_index(range, dir, index)
    }

    fn open(
        range: PartitionRange,
        dir: PathBuf,
        schema: &tantivy::schema::Schema,
    ) -> Result<Self, StoreError> {
        let index = Index::open_in_dir(&dir)?;
        if index.schema() != *schema {
            return Err(StoreError::Index(tantivy::TantivyError::SchemaError(
                "written with another schema version".into(),
            )));
        }
        Self::with_index(range, dir, index)
    }

    fn with_index(range: PartitionRange, dir: PathBuf, index: Index) -> Result<Self, StoreError> {
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Partition { range, dir, index, reader, writer: Mutex::new(WriterSlot::default()) })
    }

    fn open_writer(&self, memory: u64) -> Result<IndexWriter, StoreError> {
        Ok(self.index.writer_with_num_threads(1, memory as usize)?)
    }

    fn has_writer(&self) -> bool {
        self.writer.lock().expect("writer lock").writer.is_some()
    }

    /// Commits pending documents and reloads the reader; with `close`, also shuts the writer down.
    fn commit(&self, close: bool) -> Result<(), StoreError> {
        let mut slot = self.writer.lock().expect("writer lock");
        if slot.pending > 0 {
            if let Some(writer) = slot.writer.as_mut() {
                writer.commit()?;
                slot.pending = 0;
                self.reader.reload()?;
            }
        }
        if close {
            if let Some(writer) = slot.writer.take() {
                writer.wait_merging_threads()?;
            }
        }
        Ok(())
    }
}

/// Adds `doc` to the group of its partition: the documents of one batch almost always share a partition, so
/// a short list beats a map.
pub(crate) fn push_grouped(
    groups: &mut Vec<(PartitionRange, Vec<TantivyDocument>)>,
    range: PartitionRange,
    doc: TantivyDocument,
) {
    match groups.iter_mut().find(|(r, _)| *r == range) {
        Some((_, docs)) => docs.push(doc),
        None => groups.push((range, vec![doc])),
    }
}

/// Now, in ns since the epoch.
pub fn now_unix_nanos() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}
