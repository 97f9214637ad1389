//! Fan-out: one request to several consumers (several pipelines of a receiver, several exporters of a pipeline).

use super::queue::ExporterQueue;
use super::{Consumer, Traces};
use crate::error::PipelineError;
use async_trait::async_trait;
use std::sync::Arc;

/// Passes each request to every pipeline that lists the receiver. Each pipeline gets its own copy because its
/// processors may change it.
pub struct PipelinesFanout {
    pipelines: Vec<Arc<dyn Consumer>>,
}

impl PipelinesFanout {
    /// Fans out to `pipelines` (the first stage of each).
    pub fn new(pipelines: Vec<Arc<dyn Consumer>>) -> Self {
        PipelinesFanout { pipelines }
    }
}

#[async_trait]
impl Consumer for PipelinesFanout {
    async fn consume(&self, traces: Traces) -> Result<(), PipelineError> {
        let Some((last, rest)) = self.pipelines.split_last() else { return Ok(()) };
        let mut result = Ok(());
        for pipeline in rest {
            if let Err(e) = pipeline.consume(traces.clone()).await {
                result = Err(e);
            }
        }
        last.consume(traces).await.and(result)
    }
}

/// The end of a pipeline: puts one shared copy of each request into every exporter's queue. This is where a
/// migration dual-writes to a legacy and an OTLP backend.
///
/// If one queue refuses, the others keep the data and the sender is still told to retry (as the Collector's
/// fan-out does): a retry may duplicate spans at the exporters that took them, but nothing is lost silently.
pub struct ExportersFanout {
    queues: Vec<Arc<ExporterQueue>>,
}

impl ExportersFanout {
    /// Fans out to `queues`.
    pub fn new(queues: Vec<Arc<ExporterQueue>>) -> Self {
        ExportersFanout { queues }
    }
}

#[async_trait]
impl Consumer for ExportersFanout {
    async fn consume(&self, traces: Traces) -> Result<(), PipelineError> {
        let shared = Arc::new(traces);
        let mut result = Ok(());
        for queue in &self.queues {
            if let Err(e) = queue.enqueue(shared.clone()).await {
                result = Err(e);
            }
        }
        result
    }
}
