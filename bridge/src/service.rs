//! The running service: builds the pipeline graph from a [`Config`], starts receivers, exporters and the admin
//! endpoint, and shuts down in order (receivers → processors → queues drained → admin).

use crate::config::Config;
use crate::exporters::store::StoreExporter;
use crate::exporters::{Exporter, ExporterConfig};
use crate::pipeline::fanout::{ExportersFanout, PipelinesFanout};
use crate::pipeline::queue::ExporterQueue;
use crate::pipeline::Consumer;
use crate::receivers::{self, Listening, ReceiverContext};
use crate::store::Store;
use crate::telemetry::admin::{self, Readiness};
use crate::telemetry::metrics::{Kind, Registry};
use anyhow::{anyhow, Context as _};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A started service.
pub struct Running {
    /// Every receiver socket, with its bound address.
    pub listening: Vec<Listening>,
    /// The admin endpoint's address.
    pub admin: SocketAddr,
    /// Self-metrics.
    pub registry: Registry,
    readiness: Readiness,
    stop_receivers: CancellationToken,
    receiver_tasks: TaskTracker,
    stages: Vec<Arc<dyn Consumer>>,
    stop_processors: CancellationToken,
    queues: Vec<Arc<ExporterQueue>>,
    exporter_tasks: JoinSet<()>,
    abort_exporters: CancellationToken,
    stop_admin: CancellationToken,
    stores: Vec<Arc<Store>>,
    stop_stores: CancellationToken,
    store_tasks: JoinSet<()>,
    shutdown_timeout: Duration,
}

/// Builds and starts everything `config` describes.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let registry = Registry::new();
    let readiness = Readiness::default();
    let abort_exporters = CancellationToken::new();
    let mut exporter_tasks = JoinSet::new();

    // Exporters and their queues, for those a pipeline uses.
    let used = |kind: fn(&crate::config::PipelineConfig) -> &Vec<String>, id: &str| {
        config.pipelines.iter().any(|(_, p)| kind(p).iter().any(|x| x == id))
    };
    let mut queues: BTreeMap<String, Arc<ExporterQueue>> = BTreeMap::new();
    let mut store_ids: Vec<(String, Arc<Store>)> = Vec::new();
    let mut listening = Vec::new();
    let stop_stores = CancellationToken::new();
    let mut store_tasks = JoinSet::new();
    // The store whose Zipkin query API the Zipkin receivers serve: the first one that enables it.
    let mut zipkin_query_store = None;
    for exporter in &config.exporters {
        if !used(|p| &p.exporters, &exporter.id) {
            tracing::warn!(exporter = %exporter.id, "configured but not in any pipeline; not started");
            continue;
        }
        let metrics = registry.component(Kind::Exporter, &exporter.id);
        let built: Arc<dyn Exporter> = match &exporter.config {
            ExporterConfig::Store(settings) => {
                let store = Store::open(&settings.store)
                    .with_context(|| format!("exporter {}", exporter.id))?;
                tracing::info!(
                    exporter = %exporter.id,
                    data_dir = %settings.store.data_dir.display(),
                    partitions = store.partition_ranges().len(),
                    "store opened"
                );
                store_tasks.spawn(store.clone().maintain(stop_stores.clone()));
                if let Some(jaeger) = &settings.jaeger_query {
                    let address = serve_jaeger_query(&store, &jaeger.endpoint, stop_stores.clone())
                        .await
                        .with_context(|| format!("exporter {}: Jaeger query API", exporter.id))?;
                    tracing::info!(exporter = %exporter.id, address = %address, "Jaeger query API listening");
                    listening.push(Listening {
                        receiver: exporter.id.clone(),
                        transport: "jaeger_query",
                        address,
                    });
                }
                if settings.zipkin_query.enabled && zipkin_query_store.is_none() {
                    zipkin_query_store = Some(store.clone());
                }
                store_ids.push((exporter.id.clone(), store.clone()));
                Arc::new(StoreExporter::new(store, metrics.clone()))
            }
            other => other
                .build(metrics.clone())
                .map_err(|reason| anyhow!("exporter {}: {reason}", exporter.id))?,
        };
        let queue = Arc::new(ExporterQueue::new(&exporter.id, exporter.config.queue(), metrics));
        queue.start_workers(
            built,
            exporter.config.retry(),
            abort_exporters.clone(),
            &mut exporter_tasks,
        );
        queues.insert(exporter.id.clone(), queue);
    }

    let stores: Vec<Arc<Store>> = store_ids.iter().map(|(_, store)| store.clone()).collect();
    if !store_ids.is_empty() {
        registry.add_source(Arc::new(crate::store::stats::StoreGauges::new(store_ids)));
    }

    // Pipelines: processors chained in front of a fan-out to the exporters' queues.
    let stop_processors = CancellationToken::new();
    let mut stages = Vec::new();
    let mut heads: BTreeMap<String, Arc<dyn Consumer>> = BTreeMap::new();
    for (pipeline_id, pipeline) in &config.pipelines {
        let exporters =
            pipeline.exporters.iter().filter_map(|id| queues.get(id).cloned()).collect();
        let mut head: Arc<dyn Consumer> = Arc::new(ExportersFanout::new(exporters));
        let mut pipeline_stages = Vec::new();
        for processor_id in pipeline.processors.iter().rev() {
            let processor =
                config.processors.iter().find(|p| &p.id == processor_id).ok_or_else(|| {
                    anyhow!("pipeline {pipeline_id}: unknown processor {processor_id}")
                })?;
            let metrics = registry.component(Kind::Processor, &processor.id);
            head = processor.config.build(head, metrics, stop_processors.clone());
            pipeline_stages.push(head.clone());
        }
        // Flush order at shutdown: first processor first, so its output reaches the later ones' buffers.
        pipeline_stages.reverse();
        stages.extend(pipeline_stages);
        heads.insert(pipeline_id.clone(), head);
    }

    // Receivers, each feeding every pipeline that lists it.
    let stop_receivers = CancellationToken::new();
    let receiver_tasks = TaskTracker::new();
    for receiver in &config.receivers {
        let mut targets: Vec<Arc<dyn Consumer>> = config
            .pipelines
            .iter()
            .filter(|(_, p)| p.receivers.contains(&receiver.id))
            .filter_map(|(id, _)| heads.get(id).cloned())
            .collect();
        if targets.is_empty() {
            tracing::warn!(receiver = %receiver.id, "configured but not in any pipeline; not started");
            continue;
        }
        let consumer: Arc<dyn Consumer> = if targets.len() == 1 {
            targets.remove(0)
        } else {
            Arc::new(PipelinesFanout::new(targets))
        };
        let ctx = ReceiverContext {
            id: receiver.id.clone(),
            consumer,
            registry: registry.clone(),
            stop: stop_receivers.clone(),
            tasks: receiver_tasks.clone(),
            query_store: zipkin_query_store.clone(),
        };
        let bound = receivers::start(&receiver.config, ctx).await?;
        for l in &bound {
            tracing::info!(receiver = %l.receiver, transport = l.transport, address = %l.address, "listening");
        }
        listening.extend(bound);
    }

    // Admin endpoint.
    let admin_endpoint = &config.service.admin.endpoint;
    let admin_listener = tokio::net::TcpListener::bind(admin_endpoint)
        .await
        .with_context(|| format!("admin endpoint: cannot listen on {admin_endpoint}"))?;
    let admin = admin_listener.local_addr()?;
    let stop_admin = CancellationToken::new();
    tokio::spawn(admin::serve(
        admin_listener,
        registry.clone(),
        readiness.clone(),
        stop_admin.clone(),
    ));
    tracing::info!(address = %admin, "admin endpoint listening (/metrics, /healthz, /readyz)");
    readiness.set(true);

    Ok(Running {
        listening,
        admin,
        registry,
        readiness,
        stop_receivers,
        receiver_tasks,
        stages,
        stop_processors,
        queues: queues.into_values().collect(),
        exporter_tasks,
        abort_exporters,
        stop_admin,
        stores,
        stop_stores,
        store_tasks,
        shutdown_timeout: config.service.shutdown_timeout.0,
    })
}

/// Serves the Jaeger query API over `store` on `endpoint` until `stop`; returns the bound address.
async fn serve_jaeger_query(
    store: &Arc<Store>,
    endpoint: &str,
    stop: CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(endpoint)
        .await
        .with_context(|| format!("cannot listen on {endpoint}"))?;
    let address = listener.local_addr()?;
    let router = crate::store::jaeger_api::router(store.clone());
    tokio::spawn(async move {
        let served =
            axum::serve(listener, router).with_graceful_shutdown(stop.cancelled_owned()).await;
        if let Err(e) = served {
            tracing::error!("Jaeger query API: {e}");
        }
    });
    Ok(address)
}

impl Running {
    /// The stores the service writes to, in config order.
    pub fn stores(&self) -> &[Arc<Store>] {
        &self.stores
    }

    /// The bound address of a receiver transport, e.g. `("jaeger", "thrift_compact")`, or of a store's query
    /// API (`("store", "jaeger_query")`).
    pub fn address(&self, receiver: &str, transport: &str) -> Option<SocketAddr> {
        self.listening
            .iter()
            .find(|l| l.receiver == receiver && l.transport == transport)
            .map(|l| l.address)
    }

    /// Stops taking data, flushes processors, and delivers what is queued within the shutdown timeout; what
    /// is still queued after it is counted as dropped (reason `shutdown`).
    pub async fn shutdown(mut self) {
        let deadline = tokio::time::Instant::now() + self.shutdown_timeout;
        self.readiness.set(false);
        self.stop_receivers.cancel();
        self.receiver_tasks.close();
        // In-flight requests finish (their senders get answers) before the queues close.
        if tokio::time::timeout_at(deadline, self.receiver_tasks.wait()).await.is_err() {
            tracing::warn!("receivers still busy at the shutdown timeout");
        }
        for stage in &self.stages {
            stage.flush().await;
        }
        self.stop_processors.cancel();
        for queue in &self.queues {
            queue.close();
        }
        let queued: usize = self.queues.iter().map(|q| q.len()).sum();
        tracing::info!(queued_batches = queued, timeout = ?self.shutdown_timeout, "draining exporter queues");
        let drained = tokio::time::timeout_at(deadline, async {
            while self.exporter_tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("shutdown timeout reached; dropping what is still queued (counted, reason=shutdown)");
            self.abort_exporters.cancel();
            while self.exporter_tasks.join_next().await.is_some() {}
        }
        // Last: the stores commit what the exporters handed them, and their query APIs stop.
        self.stop_stores.cancel();
        while self.store_tasks.join_next().await.is_some() {}
        self.stop_admin.cancel();
        tracing::info!("stopped");
    }
}
