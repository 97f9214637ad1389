//! What the store holds, for `/metrics`: partitions, committed documents, bytes on disk and the oldest data
//! kept, per signal — what an operator watches to see retention and disk use working.

use super::{PartitionSet, Store};
use crate::telemetry::metrics::{escape_label, GaugeSource};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// Figures of one signal's partitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignalStats {
    /// Partitions on disk.
    pub partitions: u64,
    /// Documents committed (visible to queries).
    pub documents: u64,
    /// Bytes of the partitions' files.
    pub disk_bytes: u64,
    /// Start of the oldest partition, seconds since the epoch (0 when there is none).
    pub oldest_start: i64,
}

/// Figures of the whole store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Spans.
    pub traces: SignalStats,
    /// Log records.
    pub logs: SignalStats,
}

impl Store {
    /// What the store holds now.
    pub fn stats(&self) -> StoreStats {
        StoreStats { traces: self.spans.stats(), logs: self.logs.stats() }
    }
}

impl PartitionSet {
    fn stats(&self) -> SignalStats {
        let partitions = self.all();
        SignalStats {
            partitions: partitions.len() as u64,
            documents: partitions.iter().map(|p| p.reader.searcher().num_docs()).sum(),
            disk_bytes: partitions.iter().map(|p| folder_bytes(&p.dir)).sum(),
            oldest_start: partitions.iter().map(|p| p.range.start).min().unwrap_or(0),
        }
    }
}

fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// The store gauges of every store of the service, rendered together so each family appears once.
pub struct StoreGauges {
    stores: Vec<(String, Arc<Store>)>,
}

impl StoreGauges {
    /// Gauges for `stores`, each labelled with its exporter id.
    pub fn new(stores: Vec<(String, Arc<Store>)>) -> Self {
        StoreGauges { stores }
    }
}

impl std::fmt::Debug for StoreGauges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.stores.iter().map(|(id, _)| id)).finish()
    }
}

impl GaugeSource for StoreGauges {
    fn render(&self, out: &mut String) {
        let stats: Vec<(&str, StoreStats)> =
            self.stores.iter().map(|(id, store)| (id.as_str(), store.stats())).collect();
        type Pick = fn(&SignalStats) -> i64;
        let families: [(&str, &str, Pick); 4] = [
            ("otelbridge_store_partitions", "Time partitions on disk.", |s| s.partitions as i64),
            (
                "otelbridge_store_documents",
                "Spans or log records committed (visible to queries).",
                |s| s.documents as i64,
            ),
            ("otelbridge_store_disk_bytes", "Bytes of the partitions' files.", |s| s.disk_bytes as i64),
            (
                "otelbridge_store_oldest_partition_start_seconds",
                "Start of the oldest partition kept (retention drops whole partitions), Unix seconds.",
                |s| s.oldest_start,
            ),
        ];
        for (name, help, pick) in families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for (id, store) in &stats {
                for (signal, figures) in [("traces", &store.traces), ("logs", &store.logs)] {
                    let _ = writeln!(
                        out,
                        "{name}{{component_kind=\"exporter\",component_id=\"{}\",signal=\"{signal}\"}} {}",
                        escape_label(id),
                        pick(figures)
                    );
                }
            }
        }
    }
}
