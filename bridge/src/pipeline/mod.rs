//! The pipeline graph: receivers push into a [`Consumer`]; processors are consumers that pass data on;
//! a pipeline ends in a fan-out to one bounded queue per exporter, drained by that exporter's workers.
//! A receiver never calls an exporter directly.

pub mod fanout;
pub mod queue;
pub mod retry;
pub mod traces;

use crate::error::PipelineError;
use async_trait::async_trait;
pub use traces::Traces;

/// Something that takes trace data: a processor, a fan-out or an exporter queue.
///
/// `consume` returns once the data is safely taken (in a queue or a batch buffer); an `Err` means it was
/// not taken and the sender should be told to retry (backpressure).
#[async_trait]
pub trait Consumer: Send + Sync {
    /// Takes a request.
    async fn consume(&self, traces: Traces) -> Result<(), PipelineError>;

    /// Called once at shutdown, after the receivers stopped: pass on anything buffered (the batch processor).
    async fn flush(&self) {}
}

/// Counts the spans of a batch (without decoding one carried as bytes).
pub fn span_count(traces: &Traces) -> usize {
    traces.span_count()
}
