//! The Zipkin v2 query API over the store, served beside `/api/v2/spans` on the Zipkin receivers' ports.

use super::Store;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;

/// The API's routes.
pub fn router(store: Arc<Store>) -> Router {
    Router::new().route("/api/v2/services", get(services)).with_state(store)
}

async fn services(State(store): State<Arc<Store>>) -> Json<Vec<String>> {
    let services = tokio::task::spawn_blocking(move || store.services())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    Json(services)
}
