//! Zipkin's dependency links (`DependencyLinker`): a trace's spans as a tree, links between the services of
//! SERVER spans and their nearest remote ancestor, plus CLIENT/PRODUCER spans that name a remote service
//! (uninstrumented services), PRODUCER → broker and broker → CONSUMER. A link is an error when the span has an
//! `error` tag (or, for a server, the client it answers does).

use super::search::{kind, local_service, remote_service};
use std::collections::{BTreeMap, HashMap, VecDeque};
use translators::zipkin::model::{self, Kind};

/// One parent → child service edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Calling service.
    pub parent: String,
    /// Called service.
    pub child: String,
    /// Calls seen.
    pub call_count: u64,
    /// Of those, failed ones.
    pub error_count: u64,
}

/// Adds traces up and gives the links, sorted by parent then child.
#[derive(Debug, Default)]
pub struct Linker {
    counts: BTreeMap<(String, String), (u64, u64)>,
}

struct Node<'a> {
    span: Option<&'a model::Span>,
    parent: Option<usize>,
    children: Vec<usize>,
}

fn has_error(span: &model::Span) -> bool {
    span.tags.iter().any(|t| t.key == "error")
}

impl Linker {
    /// A linker with no trace yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one trace's spans (Zipkin spans of one trace id, any order).
    pub fn put_trace(&mut self, spans: &[model::Span]) {
        if spans.is_empty() {
            return;
        }
        let nodes = build_tree(spans);
        // Node 0 is the root: a real span, or a synthetic node above spans whose parent is missing.
        let mut queue: VecDeque<usize> = VecDeque::new();
        if nodes[0].span.is_some() {
            queue.push_back(0);
        } else {
            queue.extend(nodes[0].children.iter().copied());
        }
        while let Some(current) = queue.pop_front() {
            queue.extend(nodes[current].children.iter().copied());
            let span = nodes[current].span.expect("only the synthetic root has no span");
            let mut span_kind = kind(span);
            // A client with children: the server below names the link better.
            if span_kind == Some(Kind::Client) && !nodes[current].children.is_empty() {
                continue;
            }
            let service = local_service(span);
            let remote = remote_service(span);
            if span_kind.is_none() {
                if service.is_some() && remote.is_some() {
                    span_kind = Some(Kind::Client);
                } else {
                    continue;
                }
            }
            let (mut parent, child) = match span_kind {
                Some(Kind::Server) | Some(Kind::Consumer) => {
                    if current == 0 && remote.is_none() {
                        continue; // the root's caller is unknown
                    }
                    (remote, service)
                }
                Some(Kind::Client) | Some(Kind::Producer) => (service, remote),
                _ => continue,
            };
            let mut error = has_error(span);
            if matches!(span_kind, Some(Kind::Producer) | Some(Kind::Consumer)) {
                if let (Some(parent), Some(child)) = (parent, child) {
                    self.add(parent, child, error);
                }
                continue;
            }
            if let Some(ancestor) = first_remote_ancestor(&nodes, current) {
                if let Some(ancestor_service) = local_service(ancestor) {
                    // A client whose remote ancestor is another service: that service called this one.
                    if span_kind == Some(Kind::Client)
                        && service.is_some_and(|s| s != ancestor_service)
                    {
                        self.add(ancestor_service, service.expect("checked"), false);
                    }
                    if span_kind == Some(Kind::Server) || parent.is_none() {
                        parent = Some(ancestor_service);
                    }
                    // A server answering its client directly: the client's error counts too.
                    if !error
                        && kind(ancestor) == Some(Kind::Client)
                        && !span.parent_id.is_empty()
                        && span.parent_id == ancestor.id
                    {
                        error = has_error(ancestor);
                    }
                }
            }
            if let (Some(parent), Some(child)) = (parent, child) {
                self.add(parent, child, error);
            }
        }
    }

    fn add(&mut self, parent: &str, child: &str, error: bool) {
        let entry = self.counts.entry((parent.to_owned(), child.to_owned())).or_default();
        entry.0 += 1;
        entry.1 += u64::from(error);
    }

    /// The links, sorted by parent then child.
    pub fn links(self) -> Vec<Link> {
        self.counts
            .into_iter()
            .map(|((parent, child), (call_count, error_count))| Link {
                parent,
                child,
                call_count,
                error_count,
            })
            .collect()
    }
}

fn first_remote_ancestor<'a>(nodes: &[Node<'a>], current: usize) -> Option<&'a model::Span> {
    let mut at = nodes[current].parent;
    while let Some(i) = at {
        if let Some(span) = nodes[i].span {
            if kind(span).is_some() {
                return Some(span);
            }
        }
        at = nodes[i].parent;
    }
    None
}

/// The trace tree as Zipkin's `SpanNode.Builder` makes it: the first span without a parent is the root (a
/// synthetic root when there is none); spans whose parent is missing hang from the root; a shared (server)
/// span is the child of the client span with its id.
fn build_tree(spans: &[model::Span]) -> Vec<Node<'_>> {
    // Key: (span id, shared).
    let mut index: HashMap<(&[u8], bool), usize> = HashMap::new();
    let mut nodes: Vec<Node<'_>> = vec![Node { span: None, parent: None, children: Vec::new() }];
    let mut root_is_real = false;
    for span in spans {
        let key = (span.id.as_slice(), span.shared);
        if index.contains_key(&key) {
            continue; // a duplicate: Zipkin merges them into one node
        }
        let is_root = !span.shared && (span.parent_id.is_empty() || span.parent_id == span.id);
        if is_root && !root_is_real {
            nodes[0].span = Some(span);
            root_is_real = true;
            index.insert(key, 0);
        } else {
            nodes.push(Node { span: Some(span), parent: None, children: Vec::new() });
            index.insert(key, nodes.len() - 1);
        }
    }
    for i in 1..nodes.len() {
        let span = nodes[i].span.expect("real span");
        let parent = if span.shared {
            index.get(&(span.id.as_slice(), false)).copied()
        } else if span.parent_id.is_empty() || span.parent_id == span.id {
            None
        } else {
            index
                .get(&(span.parent_id.as_slice(), true))
                .or_else(|| index.get(&(span.parent_id.as_slice(), false)))
                .copied()
        };
        let parent = parent.filter(|p| *p != i).unwrap_or(0);
        nodes[i].parent = Some(parent);
        nodes[parent].children.push(i);
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;
    use translators::zipkin::model::{Endpoint, Tag};

    fn span(
        id: u8,
        parent: u8,
        kind: Kind,
        service: &str,
        remote: &str,
        error: bool,
    ) -> model::Span {
        let endpoint = |name: &str| {
            (!name.is_empty())
                .then(|| Endpoint { service_name: name.into(), ..Endpoint::default() })
        };
        model::Span {
            trace_id: vec![1; 16],
            id: vec![id; 8],
            parent_id: if parent == 0 { vec![] } else { vec![parent; 8] },
            kind: kind as i32,
            local_endpoint: endpoint(service),
            remote_endpoint: endpoint(remote),
            tags: if error {
                vec![Tag { key: "error".into(), value: String::new() }]
            } else {
                vec![]
            },
            ..model::Span::default()
        }
    }

    fn links(spans: &[model::Span]) -> Vec<(String, String, u64, u64)> {
        let mut linker = Linker::new();
        linker.put_trace(spans);
        linker
            .links()
            .into_iter()
            .map(|l| (l.parent, l.child, l.call_count, l.error_count))
            .collect()
    }

    #[test]
    fn client_server_pairs_and_uninstrumented_leaves_link() {
        let spans = [
            span(1, 0, Kind::Server, "web", "", false),
            span(2, 1, Kind::Client, "web", "api", true),
            span(3, 2, Kind::Server, "api", "", false),
            span(4, 3, Kind::Unspecified, "api", "", false),
            span(5, 4, Kind::Client, "api", "db", false),
            span(6, 3, Kind::Producer, "api", "kafka", false),
            span(7, 6, Kind::Consumer, "worker", "", false),
        ];
        assert_eq!(
            links(&spans),
            [
                ("api".into(), "db".into(), 1, 0),
                ("api".into(), "kafka".into(), 1, 0),
                // The server's link takes its client's error.
                ("web".into(), "api".into(), 1, 1),
            ]
        );
    }

    #[test]
    fn a_missing_root_leaves_a_synthetic_one_and_no_cycle_hangs() {
        let spans = [
            span(2, 9, Kind::Client, "web", "api", false),
            span(3, 4, Kind::Server, "api", "", false),
            span(4, 3, Kind::Server, "db", "", false),
        ];
        assert_eq!(links(&spans), [("web".into(), "api".into(), 1, 0)]);
    }
}
