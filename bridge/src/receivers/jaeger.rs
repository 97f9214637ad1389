//! The `jaeger` receiver (being written).

use super::{Listening, ReceiverContext, StartError};
use serde::Deserialize;

/// Settings of the `jaeger` receiver.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JaegerReceiverConfig {}

/// Starts the receiver.
pub async fn start(
    _config: &JaegerReceiverConfig,
    ctx: ReceiverContext,
) -> Result<Vec<Listening>, StartError> {
    Err(StartError::Other { receiver: ctx.id, reason: "not implemented yet".into() })
}
