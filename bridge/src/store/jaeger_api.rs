//! The Jaeger query HTTP API over the store (what the Jaeger UI calls, default port 16686).

use super::Store;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

/// The API's routes.
pub fn router(store: Arc<Store>) -> Router {
    Router::new().route("/api/services", get(services)).with_state(store)
}

async fn services(State(store): State<Arc<Store>>) -> Json<Value> {
    let services = tokio::task::spawn_blocking(move || store.services())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    Json(
        json!({ "data": services, "total": services.len(), "limit": 0, "offset": 0, "errors": null }),
    )
}
