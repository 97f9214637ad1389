//! otelbridge: receivers for legacy and OTLP trace protocols, pipelines, and exporters to OTLP and legacy
//! backends, over the pure translators in the `translators` crate.

pub mod commands;
pub mod config;
pub mod error;
pub mod exporters;
pub mod grpc;
pub mod pipeline;
pub mod processors;
pub mod receivers;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod testing;
