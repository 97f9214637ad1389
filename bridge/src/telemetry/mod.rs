//! Self-telemetry: per-component counters, the admin HTTP endpoint and the service's own logs.

pub mod admin;
pub mod logging;
pub mod metrics;
