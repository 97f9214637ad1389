//! Groups spans by resource and by scope, the way OTLP nests them, and walks them back out.

use super::model::{
    ExportTraceServiceRequest, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span,
};

/// Collects spans into an [`ExportTraceServiceRequest`], one `ResourceSpans` per distinct
/// resource and one `ScopeSpans` per distinct scope inside it, in first-seen order.
#[derive(Debug, Default)]
pub struct TracesBuilder {
    resource_spans: Vec<ResourceSpans>,
}

impl TracesBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds spans that share a resource and a scope.
    pub fn push_many(&mut self, resource: Resource, scope: InstrumentationScope, spans: Vec<Span>) {
        if spans.is_empty() {
            return;
        }
        let rs = self.resource_entry(resource);
        // Most inputs repeat the scope of the previous span, so look from the back.
        let pos = rs.scope_spans.iter().rposition(|ss| ss.scope.as_ref() == Some(&scope));
        let ss = match pos {
            Some(p) => &mut rs.scope_spans[p],
            None => {
                rs.scope_spans.push(ScopeSpans {
                    scope: Some(scope),
                    spans: Vec::new(),
                    schema_url: String::new(),
                });
                rs.scope_spans.last_mut().expect("just pushed")
            }
        };
        if ss.spans.is_empty() {
            ss.spans = spans;
        } else {
            ss.spans.extend(spans);
        }
    }

    /// Adds one span.
    pub fn push(&mut self, resource: Resource, scope: InstrumentationScope, span: Span) {
        self.push_many(resource, scope, vec![span]);
    }

    fn resource_entry(&mut self, resource: Resource) -> &mut ResourceSpans {
        let pos =
            self.resource_spans.iter().rposition(|rs| rs.resource.as_ref() == Some(&resource));
        match pos {
            Some(p) => &mut self.resource_spans[p],
            None => {
                self.resource_spans.push(ResourceSpans {
                    resource: Some(resource),
                    scope_spans: Vec::new(),
                    schema_url: String::new(),
                });
                self.resource_spans.last_mut().expect("just pushed")
            }
        }
    }

    /// True when no span was added.
    pub fn is_empty(&self) -> bool {
        self.resource_spans.is_empty()
    }

    /// The request.
    pub fn finish(self) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest { resource_spans: self.resource_spans }
    }
}

/// One span with the resource and scope it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct SpanRef<'a> {
    /// The resource (`None` when the request carried none).
    pub resource: Option<&'a Resource>,
    /// The scope (`None` when the request carried none).
    pub scope: Option<&'a InstrumentationScope>,
    /// The span.
    pub span: &'a Span,
    /// Position as `resource_spans[i].scope_spans[j].spans[k]`, for error messages.
    pub path: (usize, usize, usize),
}

impl SpanRef<'_> {
    /// The span's place in the request, as an OTLP/JSON path.
    pub fn item(&self) -> String {
        let (i, j, k) = self.path;
        format!("resourceSpans[{i}].scopeSpans[{j}].spans[{k}]")
    }
}

/// Every span of a request with its resource and scope, in order.
pub fn spans(request: &ExportTraceServiceRequest) -> impl Iterator<Item = SpanRef<'_>> {
    request.resource_spans.iter().enumerate().flat_map(|(i, rs)| {
        rs.scope_spans.iter().enumerate().flat_map(move |(j, ss)| {
            ss.spans.iter().enumerate().map(move |(k, span)| SpanRef {
                resource: rs.resource.as_ref(),
                scope: ss.scope.as_ref(),
                span,
                path: (i, j, k),
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::attributes;

    fn res(service: &str) -> Resource {
        Resource {
            attributes: vec![attributes::string("service.name", service)],
            dropped_attributes_count: 0,
        }
    }
    fn scope(name: &str) -> InstrumentationScope {
        InstrumentationScope { name: name.into(), ..Default::default() }
    }
    fn span(name: &str) -> Span {
        Span { name: name.into(), ..Default::default() }
    }

    #[test]
    fn groups_by_resource_then_scope_in_first_seen_order() {
        let mut b = TracesBuilder::new();
        b.push(res("a"), scope("s1"), span("1"));
        b.push(res("b"), scope("s1"), span("2"));
        b.push(res("a"), scope("s2"), span("3"));
        b.push(res("a"), scope("s1"), span("4"));
        let req = b.finish();
        assert_eq!(req.resource_spans.len(), 2);
        let a = &req.resource_spans[0];
        assert_eq!(a.scope_spans.len(), 2);
        let names: Vec<_> = a.scope_spans[0].spans.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["1", "4"]);
        let all: Vec<_> = spans(&req).map(|s| (s.span.name.as_str(), s.item())).collect();
        assert_eq!(all[1], ("4", "resourceSpans[0].scopeSpans[0].spans[1]".to_string()));
    }
}
