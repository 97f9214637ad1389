//! Gathering mapped records into an OTLP request (one `ResourceLogs` per distinct resource, one `ScopeLogs`
//! per scope), and walking a request's records with their resource and scope.

use super::ecs::MappedRecord;
use crate::otlp::logs_model::{ExportLogsServiceRequest, LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::model::{InstrumentationScope, KeyValue, Resource};

/// Builds a request from records in input order, grouping records that follow one another with the same
/// resource and scope (so the request keeps the input's order, which the way back to NDJSON relies on).
#[derive(Debug, Default)]
pub struct RequestBuilder {
    request: ExportLogsServiceRequest,
}

impl RequestBuilder {
    /// Adds one record under its resource and scope.
    pub fn push(&mut self, mapped: MappedRecord) {
        let MappedRecord { resource, scope, record } = mapped;
        let last = self.request.resource_logs.len().checked_sub(1);
        let position = last.filter(|&i| {
            let rl = &self.request.resource_logs[i];
            rl.resource.as_ref().map_or(resource.is_empty(), |r| r.attributes == resource)
        });
        let resource_logs = match position {
            Some(i) => &mut self.request.resource_logs[i],
            None => {
                self.request.resource_logs.push(ResourceLogs {
                    resource: Some(Resource { attributes: resource, dropped_attributes_count: 0 }),
                    ..Default::default()
                });
                self.request.resource_logs.last_mut().expect("just pushed")
            }
        };
        let last = resource_logs.scope_logs.len().checked_sub(1);
        let scope_position = last.filter(|&i| {
            let sl = &resource_logs.scope_logs[i];
            sl.scope.as_ref().map_or(scope.is_empty(), |s| s.name == scope)
        });
        let scope_logs = match scope_position {
            Some(i) => &mut resource_logs.scope_logs[i],
            None => {
                resource_logs.scope_logs.push(ScopeLogs {
                    scope: Some(InstrumentationScope { name: scope, ..Default::default() }),
                    ..Default::default()
                });
                resource_logs.scope_logs.last_mut().expect("just pushed")
            }
        };
        scope_logs.log_records.push(record);
    }

    /// The request built.
    pub fn finish(self) -> ExportLogsServiceRequest {
        self.request
    }
}

/// Every record of a request with its resource attributes and scope name, in request order.
pub fn records(
    request: &ExportLogsServiceRequest,
) -> impl Iterator<Item = (&[KeyValue], &str, &LogRecord)> {
    request.resource_logs.iter().flat_map(|rl| {
        let resource = rl.resource.as_ref().map_or(&[][..], |r| &r.attributes[..]);
        rl.scope_logs.iter().flat_map(move |sl| {
            let scope = sl.scope.as_ref().map_or("", |s| s.name.as_str());
            sl.log_records.iter().map(move |record| (resource, scope, record))
        })
    })
}

/// Number of log records in a request.
pub fn record_count(request: &ExportLogsServiceRequest) -> usize {
    request.resource_logs.iter().flat_map(|rl| &rl.scope_logs).map(|sl| sl.log_records.len()).sum()
}
