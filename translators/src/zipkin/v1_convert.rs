//! Zipkin v1 spans ⇄ the v2 model, with the rules of Zipkin's own converters
//! (openzipkin/zipkin `zipkin2/v1/V1SpanConverter.java` and `V2SpanConverter.java`).
//!
//! v1 → v2: the core annotations (`cs`/`cr`, `sr`/`ss`, `ms`/`ws`, `wr`/`mr`) become kind,
//! timestamp and duration; a v1 span recorded by both client and server becomes two v2 spans,
//! the client span and a `shared` server span with the same id; `ca`/`sa`/`ma` become remote
//! endpoints; the host of each (binary) annotation picks the local endpoint. v2 → v1 writes
//! the core annotations back from kind, timestamp and duration. The full rule list, with the
//! places we differ from Zipkin, is in the project's Zipkin v1 mapping notes.

use super::model::{self, Kind};
use super::v1_model::{self as v1, AnnotationValue};

/// What a v1 decoder read: v2 spans, and for each the index of the v1 span it came from (one
/// v1 span can give several v2 spans), so later rejections can name the input item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Indexed {
    /// The v2 spans, in input order.
    pub spans: Vec<model::Span>,
    /// `index[i]` is the position in the input of the v1 span `spans[i]` came from.
    pub index: Vec<usize>,
    /// v1 spans rejected while decoding.
    pub rejected: Vec<crate::Rejection>,
}

/// Why a v1 span cannot become v2 spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError {
    /// The v1 field at fault, in its JSON spelling (`traceId`, `id`, `annotations`...).
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

impl ConvertError {
    fn new(field: &'static str, reason: impl Into<String>) -> Self {
        ConvertError { field, reason: reason.into() }
    }
}

/// A core annotation: its time and the host that logged it (core annotations need a host).
#[derive(Debug, Clone)]
struct Core {
    timestamp: u64,
    endpoint: v1::Endpoint,
}

/// One v2 span being assembled (Zipkin's `Span.Builder`).
#[derive(Debug, Default)]
struct Builder {
    local: Option<v1::Endpoint>,
    remote: Option<v1::Endpoint>,
    kind: Option<Kind>,
    timestamp: Option<u64>,
    duration: Option<u64>,
    annotations: Vec<(u64, String)>,
    tags: Vec<(String, String)>,
    shared: bool,
}

impl Builder {
    fn put_tag(&mut self, key: &str, value: String) {
        // v2 tags are a map: the last value for a key wins.
        match self.tags.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.tags.push((key.to_string(), value)),
        }
    }
}

fn same_service(a: &v1::Endpoint, b: &v1::Endpoint) -> bool {
    a.service_name == b.service_name
}

fn duration_between(begin: &Core, end: &Core, what: &str) -> Result<u64, ConvertError> {
    end.timestamp.checked_sub(begin.timestamp).ok_or_else(|| {
        ConvertError::new(
            "annotations",
            format!(
                "{what}: end annotation at {} is before its start at {}",
                end.timestamp, begin.timestamp
            ),
        )
    })
}

/// State of one conversion (Zipkin's `V1SpanConverter` fields).
struct V1ToV2<'a> {
    source: &'a v1::Span,
    /// `spans[0]` is Zipkin's `first`: data without a host lands there.
    spans: Vec<Builder>,
    cs: Option<Core>,
    sr: Option<Core>,
    ss: Option<Core>,
    cr: Option<Core>,
    ms: Option<Core>,
    mr: Option<Core>,
    ws: Option<Core>,
    wr: Option<Core>,
}

impl<'a> V1ToV2<'a> {
    fn new(source: &'a v1::Span) -> Self {
        V1ToV2 {
            source,
            spans: vec![Builder::default()],
            cs: None,
            sr: None,
            ss: None,
            cr: None,
            ms: None,
            mr: None,
            ws: None,
            wr: None,
        }
    }

    /// The span recorded by `endpoint`: the first one without a local endpoint or with the
    /// same service name, else a new one. No endpoint means the first span.
    fn for_endpoint(&mut self, endpoint: Option<&v1::Endpoint>) -> usize {
        let Some(e) = endpoint else { return 0 };
        for (i, span) in self.spans.iter_mut().enumerate() {
            match &span.local {
                None => {
                    span.local = Some(e.clone());
                    return i;
                }
                Some(local) if same_service(local, e) => return i,
                Some(_) => {}
            }
        }
        self.new_span(e)
    }

    fn new_span(&mut self, e: &v1::Endpoint) -> usize {
        self.spans.push(Builder { local: Some(e.clone()), ..Builder::default() });
        self.spans.len() - 1
    }

    /// Timestamp and duration from the span's own fields when both are set, else from the
    /// begin (and end) annotation.
    fn timestamp_duration(
        &mut self,
        begin: &Core,
        end: Option<&Core>,
        what: &str,
    ) -> Result<(), ConvertError> {
        let i = self.for_endpoint(Some(&begin.endpoint));
        if let (Some(ts), Some(d)) = (self.source.timestamp, self.source.duration) {
            self.spans[i].timestamp = Some(ts);
            self.spans[i].duration = Some(d);
        } else {
            self.spans[i].timestamp = Some(begin.timestamp);
            if let Some(end) = end {
                self.spans[i].duration = Some(duration_between(begin, end, what)?);
            }
        }
        Ok(())
    }

    fn process_annotations(&mut self) -> Result<(), ConvertError> {
        let source = self.source;
        for a in &source.annotations {
            let i = self.for_endpoint(a.endpoint.as_ref());
            // Core annotations need a host; without one they are ordinary annotations.
            let core = match &a.endpoint {
                Some(e) if a.value.len() == 2 => {
                    Some(Core { timestamp: a.timestamp, endpoint: e.clone() })
                }
                _ => None,
            };
            let Some(core) = core else {
                self.spans[i].annotations.push((a.timestamp, a.value.clone()));
                continue;
            };
            match a.value.as_str() {
                "cs" => {
                    self.spans[i].kind = Some(Kind::Client);
                    self.cs = Some(core);
                }
                "sr" => {
                    self.spans[i].kind = Some(Kind::Server);
                    self.sr = Some(core);
                }
                "ss" => {
                    self.spans[i].kind = Some(Kind::Server);
                    self.ss = Some(core);
                }
                "cr" => {
                    self.spans[i].kind = Some(Kind::Client);
                    self.cr = Some(core);
                }
                "ms" => {
                    self.spans[i].kind = Some(Kind::Producer);
                    self.ms = Some(core);
                }
                "mr" => {
                    self.spans[i].kind = Some(Kind::Consumer);
                    self.mr = Some(core);
                }
                "ws" => self.ws = Some(core),
                "wr" => self.wr = Some(core),
                _ => self.spans[i].annotations.push((a.timestamp, a.value.clone())),
            }
        }

        // A span bridged from an event model can miss its start annotation: when the end
        // annotation sits exactly at timestamp + duration, the start is the span timestamp.
        if self.cs.is_none() {
            if let Some(cr) = self.end_reflects_duration(self.cr.as_ref()) {
                self.cs =
                    Some(Core { timestamp: self.source.timestamp.unwrap_or(0), endpoint: cr });
            }
        }
        if self.sr.is_none() {
            if let Some(ss) = self.end_reflects_duration(self.ss.as_ref()) {
                self.sr =
                    Some(Core { timestamp: self.source.timestamp.unwrap_or(0), endpoint: ss });
            }
        }

        let (cs, sr, ss, cr) = (self.cs.clone(), self.sr.clone(), self.ss.clone(), self.cr.clone());
        match (&cs, &sr) {
            (Some(cs), Some(sr)) => {
                // Client and server in one span: the client owns the span's timing.
                self.timestamp_duration(cs, cr.as_ref(), "client")?;
                let client = self.for_endpoint(Some(&cs.endpoint));
                let server = if same_service(&cs.endpoint, &sr.endpoint) {
                    // Loopback: make sure there are still two spans.
                    self.spans[client].kind = Some(Kind::Client);
                    let s = self.new_span(&sr.endpoint);
                    self.spans[s].kind = Some(Kind::Server);
                    s
                } else {
                    self.for_endpoint(Some(&sr.endpoint))
                };
                self.spans[server].shared = true;
                self.spans[server].timestamp = Some(sr.timestamp);
                if let Some(ss) = &ss {
                    self.spans[server].duration = Some(duration_between(sr, ss, "server")?);
                }
                if cr.is_none() && self.source.duration.is_none() {
                    self.spans[client].duration = None; // one-way: no duration
                }
            }
            _ => {
                if let (Some(cs), Some(cr)) = (&cs, &cr) {
                    self.timestamp_duration(cs, Some(cr), "client")?;
                } else if let (Some(sr), Some(ss)) = (&sr, &ss) {
                    self.timestamp_duration(sr, Some(ss), "server")?;
                } else {
                    self.incomplete_rpc();
                }
            }
        }

        // v1 had no shared flag: a server side without its own timestamp (or with `ss` but no
        // duration) was the server half of a span the client started.
        if cs.is_none() {
            if let Some(sr) = &sr {
                let src = self.source;
                if src.timestamp.is_none() || (ss.is_some() && src.duration.is_none()) {
                    let i = self.for_endpoint(Some(&sr.endpoint));
                    self.spans[i].shared = true;
                }
            }
        }

        let (ms, mr, ws, wr) = (self.ms.clone(), self.mr.clone(), self.ws.clone(), self.wr.clone());
        if let (Some(ms), Some(mr)) = (&ms, &mr) {
            // Producer and consumer should not share a span, but in case they do.
            let producer = self.for_endpoint(Some(&ms.endpoint));
            let consumer = if same_service(&ms.endpoint, &mr.endpoint) {
                self.spans[producer].kind = Some(Kind::Producer);
                let c = self.new_span(&mr.endpoint);
                self.spans[c].kind = Some(Kind::Consumer);
                c
            } else {
                self.for_endpoint(Some(&mr.endpoint))
            };
            self.spans[consumer].shared = true;
            if let Some(wr) = &wr {
                self.spans[consumer].timestamp = Some(wr.timestamp);
                self.spans[consumer].duration = Some(duration_between(wr, mr, "consumer")?);
            } else {
                self.spans[consumer].timestamp = Some(mr.timestamp);
            }
            self.spans[producer].timestamp = Some(ms.timestamp);
            self.spans[producer].duration = match &ws {
                Some(ws) => Some(duration_between(ms, ws, "producer")?),
                None => None,
            };
        } else if let Some(ms) = &ms {
            self.timestamp_duration(ms, ws.as_ref(), "producer")?;
        } else if let Some(mr) = &mr {
            match &wr {
                Some(wr) => self.timestamp_duration(wr, Some(mr), "consumer")?,
                None => self.timestamp_duration(mr, None, "consumer")?,
            }
        } else {
            // Not messaging: wire annotations stay ordinary annotations.
            for (core, value) in [(&ws, "ws"), (&wr, "wr")] {
                if let Some(c) = core {
                    let i = self.for_endpoint(Some(&c.endpoint));
                    self.spans[i].annotations.push((c.timestamp, value.to_string()));
                }
            }
        }
        Ok(())
    }

    fn end_reflects_duration(&self, end: Option<&Core>) -> Option<v1::Endpoint> {
        let end = end?;
        let (ts, d) = (self.source.timestamp?, self.source.duration?);
        (ts.checked_add(d) == Some(end.timestamp)).then(|| end.endpoint.clone())
    }

    /// Half an RPC: keep what is known, the lone end annotation stays an annotation.
    fn incomplete_rpc(&mut self) {
        let (cs, cr, sr, ss) = (&self.cs, &self.cr, &self.sr, &self.ss);
        for span in &mut self.spans {
            let (begin, end, end_value) = match span.kind {
                Some(Kind::Client) => (cs, cr, "cr"),
                Some(Kind::Server) => (sr, ss, "ss"),
                _ => continue,
            };
            if let Some(b) = begin {
                span.timestamp = Some(b.timestamp);
            }
            if let Some(e) = end {
                span.annotations.push((e.timestamp, end_value.to_string()));
            }
        }
        if let Some(ts) = self.source.timestamp {
            self.spans[0].timestamp = Some(ts);
            self.spans[0].duration = self.source.duration;
        }
    }

    fn process_binary_annotations(&mut self) {
        let source = self.source;
        let (mut ca, mut sa, mut ma) = (None, None, None);
        for b in &source.binary_annotations {
            if matches!(b.key.as_str(), "ca" | "sa" | "ma") {
                // Address annotations should be BOOL true; accept any value but false, as
                // Zipkin does (zipkin-ruby wrote "1"). Without an endpoint there is no address.
                if let (Some(e), false) = (&b.endpoint, b.value == AnnotationValue::Bool(false)) {
                    match b.key.as_str() {
                        "ca" => ca = Some(e.clone()),
                        "sa" => sa = Some(e.clone()),
                        _ => ma = Some(e.clone()),
                    }
                }
                continue;
            }
            let i = self.for_endpoint(b.endpoint.as_ref());
            // An empty "lc" only marks the local endpoint of a local span.
            if b.key == "lc" && b.value.is_empty_string() {
                continue;
            }
            self.spans[i].put_tag(&b.key, b.value.to_tag_string());
        }

        let no_core =
            self.cs.is_none() && self.cr.is_none() && self.ss.is_none() && self.sr.is_none();
        if no_core && (ca.is_some() || sa.is_some()) {
            match (ca, sa) {
                (Some(ca), Some(sa)) => {
                    let i = self.for_endpoint(Some(&ca));
                    self.spans[i].remote = Some(sa);
                }
                // "sa" alone is a plain remote address: do not make it a client span.
                (None, Some(sa)) => self.spans[0].remote = Some(sa),
                // "ca" alone: this is a server.
                (Some(ca), None) => {
                    self.spans[0].kind = Some(Kind::Server);
                    self.spans[0].remote = Some(ca);
                }
                (None, None) => {}
            }
            return;
        }

        let server = self.sr.as_ref().or(self.ss.as_ref()).map(|c| c.endpoint.clone());
        if let (Some(mut ca), Some(server)) = (ca, server) {
            if ca != server {
                // Finagle logs "ca" with the server's own service name: drop it so the span
                // does not look like a loopback call.
                if same_service(&ca, &server) {
                    ca.service_name.clear();
                }
                let i = self.for_endpoint(Some(&server));
                self.spans[i].remote = Some(ca);
            }
        }
        if let Some(sa) = sa {
            let client = self.cs.as_ref().or(self.cr.as_ref()).map(|c| c.endpoint.clone());
            if let Some(client) = client {
                let i = self.for_endpoint(Some(&client));
                self.spans[i].remote = Some(sa);
            }
        }
        if let Some(ma) = ma {
            // Both sides of a (wrongly) shared messaging span get the broker address.
            for side in [self.ms.clone(), self.mr.clone()].into_iter().flatten() {
                let i = self.for_endpoint(Some(&side.endpoint));
                self.spans[i].remote = Some(ma.clone());
            }
        }
    }

    fn finish(self, out: &mut Vec<model::Span>) {
        let s = self.source;
        let trace_id = if s.trace_id_high == 0 {
            s.trace_id.to_be_bytes().to_vec()
        } else {
            let mut t = s.trace_id_high.to_be_bytes().to_vec();
            t.extend_from_slice(&s.trace_id.to_be_bytes());
            t
        };
        let parent_id = match s.parent_id {
            // A span that names itself as parent has no parent.
            Some(p) if p != 0 && p != s.id => p.to_be_bytes().to_vec(),
            _ => Vec::new(),
        };
        for b in self.spans {
            // Annotations keep the order they were sent in (Zipkin sorts and deduplicates them;
            // we keep what the reporter wrote).
            let annotations: Vec<model::Annotation> = b
                .annotations
                .into_iter()
                .map(|(timestamp, value)| model::Annotation { timestamp, value })
                .collect();
            out.push(model::Span {
                trace_id: trace_id.clone(),
                parent_id: parent_id.clone(),
                id: s.id.to_be_bytes().to_vec(),
                kind: b.kind.map_or(0, |k| k as i32),
                name: s.name.clone(),
                timestamp: b.timestamp.unwrap_or(0),
                duration: b.duration.unwrap_or(0),
                local_endpoint: b.local.as_ref().and_then(to_v2_endpoint),
                remote_endpoint: b.remote.as_ref().and_then(to_v2_endpoint),
                annotations,
                tags: b.tags.into_iter().map(|(key, value)| model::Tag { key, value }).collect(),
                debug: s.debug,
                // Only a server (or consumer) side can be shared.
                shared: b.shared && b.kind != Some(Kind::Client),
            });
        }
    }
}

fn to_v2_endpoint(e: &v1::Endpoint) -> Option<model::Endpoint> {
    if e.is_empty() {
        return None;
    }
    Some(model::Endpoint {
        service_name: e.service_name.clone(),
        ipv4: e.ipv4.map(|ip| ip.octets().to_vec()).unwrap_or_default(),
        ipv6: e.ipv6.map(|ip| ip.octets().to_vec()).unwrap_or_default(),
        port: i32::from(e.port),
    })
}

fn from_v2_endpoint(e: &model::Endpoint) -> Option<v1::Endpoint> {
    let mut out = v1::Endpoint { service_name: e.service_name.clone(), ..v1::Endpoint::default() };
    if let Ok(octets) = <[u8; 4]>::try_from(e.ipv4.as_slice()) {
        out.ipv4 = Some(octets.into());
    }
    if let Ok(octets) = <[u8; 16]>::try_from(e.ipv6.as_slice()) {
        out.set_ipv6(octets.into());
    }
    out.port = u16::try_from(e.port).unwrap_or(0);
    (!out.is_empty()).then_some(out)
}

/// Converts one v1 span into v2 spans, appended to `out`: one span, or two when the v1 span
/// holds both sides of an RPC (the client span, then the `shared` server span), and one per
/// other host that logged annotations. On error nothing is appended.
pub fn v1_to_v2(span: &v1::Span, out: &mut Vec<model::Span>) -> Result<(), ConvertError> {
    if span.trace_id == 0 && span.trace_id_high == 0 {
        return Err(ConvertError::new("traceId", "trace id is zero"));
    }
    if span.id == 0 {
        return Err(ConvertError::new("id", "span id is zero"));
    }
    let mut c = V1ToV2::new(span);
    c.process_annotations()?;
    c.process_binary_annotations();
    c.finish(out);
    Ok(())
}

/// Start and end annotations implied by a v2 span (Zipkin's `V1SpanMetadata`).
struct Metadata {
    start: u64,
    end: u64,
    begin: Option<&'static str>,
    end_value: Option<&'static str>,
    addr: Option<&'static str>,
}

fn metadata(span: &model::Span) -> Metadata {
    let mut start = span.timestamp;
    let mut end =
        if start != 0 && span.duration != 0 { start.saturating_add(span.duration) } else { 0 };
    let mut kind = Kind::try_from(span.kind).ok().filter(|k| *k != Kind::Unspecified);
    let (mut ms, mut mr, mut ws, mut wr) = (0, 0, 0, 0);

    // Core annotations already present can widen the span or imply its kind.
    for a in &span.annotations {
        let ts = a.timestamp;
        match a.value.as_str() {
            "cs" | "sr" => {
                kind = Some(if a.value == "cs" { Kind::Client } else { Kind::Server });
                if ts < start {
                    start = ts;
                }
            }
            "ss" | "cr" => {
                kind = Some(if a.value == "cr" { Kind::Client } else { Kind::Server });
                if ts > end {
                    end = ts;
                }
            }
            "ms" => {
                kind = Some(Kind::Producer);
                ms = ts;
            }
            "mr" => {
                kind = Some(Kind::Consumer);
                mr = ts;
            }
            "ws" => ws = ts,
            "wr" => wr = ts,
            _ => {}
        }
    }

    let has_remote = span.remote_endpoint.as_ref().and_then(from_v2_endpoint).is_some();
    let mut md =
        Metadata { start, end, begin: None, end_value: None, addr: has_remote.then_some("sa") };
    let Some(kind) = kind else { return md };
    match kind {
        Kind::Client => {
            md.addr = Some("sa");
            md.begin = Some("cs");
            md.end_value = Some("cr");
        }
        Kind::Server => {
            md.addr = Some("ca");
            md.begin = Some("sr");
            md.end_value = Some("ss");
        }
        Kind::Producer => {
            md.addr = Some("ma");
            md.begin = Some("ms");
            md.end_value = Some("ws");
            if md.start == 0 || (ms != 0 && ms < md.start) {
                md.start = ms;
            }
            if md.end == 0 || (ws != 0 && ws > md.end) {
                md.end = ws;
            }
        }
        Kind::Consumer => {
            md.addr = Some("ma");
            if md.start == 0 || (wr != 0 && wr < md.start) {
                md.start = wr;
            }
            if md.end == 0 || (mr != 0 && mr > md.end) {
                md.end = mr;
            }
            if md.end != 0 || wr != 0 {
                md.begin = Some("wr");
                md.end_value = Some("mr");
            } else {
                md.begin = Some("mr");
            }
        }
        Kind::Unspecified => {}
    }
    if !has_remote {
        md.addr = None;
    }
    md
}

fn id_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// Converts a v2 span into a v1 span (Zipkin's `V2SpanConverter`): kind, timestamp and
/// duration become core annotations logged by the local endpoint, tags become STRING binary
/// annotations, the remote endpoint becomes a `ca`/`sa`/`ma` address, and a shared span
/// carries no timestamp or duration of its own.
///
/// `Err` when an id cannot be written in v1 (trace id not 8 or 16 bytes, span id not 8 bytes,
/// parent id neither empty nor 8 bytes): encoders leave such spans out, and callers that
/// report rejections can call this first.
pub fn v2_to_v1(span: &model::Span) -> Result<v1::Span, String> {
    let (trace_id_high, trace_id) = match span.trace_id.len() {
        8 => (0, id_u64(&span.trace_id).unwrap_or(0)),
        16 => (id_u64(&span.trace_id[..8]).unwrap_or(0), id_u64(&span.trace_id[8..]).unwrap_or(0)),
        n => return Err(format!("trace id has {n} bytes; Zipkin v1 needs 8 or 16")),
    };
    let id = id_u64(&span.id)
        .ok_or_else(|| format!("span id has {} bytes; Zipkin v1 needs 8", span.id.len()))?;
    let parent_id = match span.parent_id.len() {
        0 => None,
        8 => id_u64(&span.parent_id).filter(|&p| p != 0),
        n => return Err(format!("parent id has {n} bytes; Zipkin v1 needs 8")),
    };

    let md = metadata(span);
    let ep = span.local_endpoint.as_ref().and_then(from_v2_endpoint);
    let mut out = v1::Span {
        trace_id_high,
        trace_id,
        name: span.name.clone(),
        id,
        parent_id,
        debug: span.debug,
        ..v1::Span::default()
    };
    // The shared server side does not own the span's timing: v1 leaves it to sr/ss. (Zipkin
    // leaves timing off every shared span; on other kinds nothing would carry it, so we keep it.)
    if !(span.shared && md.begin == Some("sr")) {
        out.timestamp = (span.timestamp != 0).then_some(span.timestamp);
        out.duration = (span.duration != 0).then_some(span.duration);
    }

    let begin = md.begin.filter(|_| md.start != 0);
    let end = md.end_value.filter(|_| md.end != 0);
    let annotation = |timestamp: u64, value: &str| v1::Annotation {
        timestamp,
        value: value.to_string(),
        endpoint: ep.clone(),
    };
    if let Some(b) = begin {
        out.annotations.push(annotation(md.start, b));
    }
    for a in &span.annotations {
        if Some(a.value.as_str()) == begin || Some(a.value.as_str()) == end {
            continue;
        }
        out.annotations.push(annotation(a.timestamp, &a.value));
    }
    if let Some(e) = end {
        out.annotations.push(annotation(md.end, e));
    }

    for tag in &span.tags {
        out.binary_annotations.push(v1::BinaryAnnotation {
            key: tag.key.clone(),
            value: AnnotationValue::String(tag.value.clone()),
            endpoint: ep.clone(),
        });
    }
    // An empty "lc" keeps the local endpoint of a span that has nothing else to carry it.
    if out.annotations.is_empty() && span.tags.is_empty() && ep.is_some() {
        out.binary_annotations.push(v1::BinaryAnnotation {
            key: "lc".to_string(),
            value: AnnotationValue::String(String::new()),
            endpoint: ep.clone(),
        });
    }
    if let (Some(addr), Some(remote)) =
        (md.addr, span.remote_endpoint.as_ref().and_then(from_v2_endpoint))
    {
        out.binary_annotations.push(v1::BinaryAnnotation {
            key: addr.to_string(),
            value: AnnotationValue::Bool(true),
            endpoint: Some(remote),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ep(service: &str, last_octet: u8, port: u16) -> v1::Endpoint {
        v1::Endpoint {
            service_name: service.to_string(),
            ipv4: Some(Ipv4Addr::new(10, 0, 0, last_octet)),
            ipv6: None,
            port,
        }
    }

    fn ann(ts: u64, value: &str, e: &v1::Endpoint) -> v1::Annotation {
        v1::Annotation { timestamp: ts, value: value.into(), endpoint: Some(e.clone()) }
    }

    fn bin(key: &str, value: AnnotationValue, e: Option<&v1::Endpoint>) -> v1::BinaryAnnotation {
        v1::BinaryAnnotation { key: key.into(), value, endpoint: e.cloned() }
    }

    fn base() -> v1::Span {
        v1::Span {
            trace_id: 0xabc,
            id: 0x2,
            parent_id: Some(0x1),
            name: "get".into(),
            ..v1::Span::default()
        }
    }

    fn convert(s: &v1::Span) -> Vec<model::Span> {
        let mut out = Vec::new();
        v1_to_v2(s, &mut out).unwrap();
        out
    }

    fn v2ep(service: &str, last_octet: u8, port: i32) -> Option<model::Endpoint> {
        Some(model::Endpoint {
            service_name: service.into(),
            ipv4: vec![10, 0, 0, last_octet],
            ipv6: vec![],
            port,
        })
    }

    #[test]
    fn client_and_server_in_one_span_split_in_two() {
        let (fe, be) = (ep("frontend", 1, 0), ep("backend", 2, 8080));
        let mut s = base();
        s.timestamp = Some(100);
        s.duration = Some(50);
        s.debug = true;
        s.annotations = vec![
            ann(100, "cs", &fe),
            ann(110, "sr", &be),
            ann(120, "cache.miss", &be),
            ann(140, "ss", &be),
            ann(150, "cr", &fe),
        ];
        s.binary_annotations = vec![
            bin("http.path", AnnotationValue::String("/api".into()), Some(&fe)),
            bin("sa", AnnotationValue::Bool(true), Some(&be)),
            bin("ca", AnnotationValue::Bool(true), Some(&fe)),
        ];
        let out = convert(&s);
        assert_eq!(out.len(), 2);
        let (client, server) = (&out[0], &out[1]);
        assert_eq!(client.kind, Kind::Client as i32);
        assert!(!client.shared);
        assert_eq!((client.timestamp, client.duration), (100, 50));
        assert_eq!(client.local_endpoint, v2ep("frontend", 1, 0));
        assert_eq!(client.remote_endpoint, v2ep("backend", 2, 8080));
        assert_eq!(client.tags, vec![model::Tag { key: "http.path".into(), value: "/api".into() }]);
        assert!(client.annotations.is_empty());

        assert_eq!(server.kind, Kind::Server as i32);
        assert!(server.shared);
        assert_eq!((server.timestamp, server.duration), (110, 30));
        assert_eq!(server.local_endpoint, v2ep("backend", 2, 8080));
        assert_eq!(server.remote_endpoint, v2ep("frontend", 1, 0));
        assert_eq!(
            server.annotations,
            vec![model::Annotation { timestamp: 120, value: "cache.miss".into() }]
        );

        for span in &out {
            assert_eq!(span.id, 2u64.to_be_bytes());
            assert_eq!(span.parent_id, 1u64.to_be_bytes());
            assert_eq!(span.trace_id, 0xabcu64.to_be_bytes());
            assert!(span.debug);
            assert_eq!(span.name, "get");
        }
    }

    #[test]
    fn loopback_rpc_still_splits() {
        let e = ep("svc", 1, 0);
        let mut s = base();
        s.annotations =
            vec![ann(100, "cs", &e), ann(110, "sr", &e), ann(140, "ss", &e), ann(150, "cr", &e)];
        let out = convert(&s);
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].kind, out[0].timestamp, out[0].duration),
            (Kind::Client as i32, 100, 50)
        );
        assert_eq!(
            (out[1].kind, out[1].timestamp, out[1].duration),
            (Kind::Server as i32, 110, 30)
        );
        assert!(out[1].shared && !out[0].shared);
    }

    #[test]
    fn server_only_without_timestamp_is_shared() {
        let be = ep("backend", 2, 0);
        let mut s = base();
        s.annotations = vec![ann(110, "sr", &be), ann(140, "ss", &be)];
        let out = convert(&s);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].kind, out[0].timestamp, out[0].duration),
            (Kind::Server as i32, 110, 30)
        );
        assert!(out[0].shared);
        // With its own timestamp and duration it is a server span that owns its timing.
        s.timestamp = Some(110);
        s.duration = Some(30);
        assert!(!convert(&s)[0].shared);
    }

    #[test]
    fn local_span_with_lc() {
        let e = ep("batch", 3, 0);
        let mut s = base();
        s.parent_id = None;
        s.timestamp = Some(1000);
        s.duration = Some(5);
        s.binary_annotations =
            vec![bin("lc", AnnotationValue::String("scheduler".into()), Some(&e))];
        let out = convert(&s);
        assert_eq!(out.len(), 1);
        let span = &out[0];
        assert_eq!(span.kind, Kind::Unspecified as i32);
        assert!(span.parent_id.is_empty());
        assert_eq!((span.timestamp, span.duration), (1000, 5));
        assert_eq!(span.local_endpoint, v2ep("batch", 3, 0));
        assert_eq!(span.tags, vec![model::Tag { key: "lc".into(), value: "scheduler".into() }]);

        // The empty marker form only sets the local endpoint.
        s.binary_annotations[0].value = AnnotationValue::String(String::new());
        let span = &convert(&s)[0];
        assert!(span.tags.is_empty());
        assert_eq!(span.local_endpoint, v2ep("batch", 3, 0));
    }

    #[test]
    fn addresses_without_core_annotations() {
        let (a, b) = (ep("a", 1, 0), ep("b", 2, 0));
        let mut s = base();
        s.binary_annotations = vec![bin("ca", AnnotationValue::Bool(true), Some(&a))];
        let span = &convert(&s)[0];
        assert_eq!(span.kind, Kind::Server as i32);
        assert_eq!(span.remote_endpoint, v2ep("a", 1, 0));

        s.binary_annotations = vec![bin("sa", AnnotationValue::Bool(true), Some(&b))];
        let span = &convert(&s)[0];
        assert_eq!(span.kind, 0);
        assert_eq!(span.remote_endpoint, v2ep("b", 2, 0));

        s.binary_annotations = vec![
            bin("ca", AnnotationValue::Bool(true), Some(&a)),
            bin("sa", AnnotationValue::Bool(true), Some(&b)),
        ];
        let span = &convert(&s)[0];
        assert_eq!(span.local_endpoint, v2ep("a", 1, 0));
        assert_eq!(span.remote_endpoint, v2ep("b", 2, 0));

        // A false address is no address.
        s.binary_annotations = vec![bin("sa", AnnotationValue::Bool(false), Some(&b))];
        assert_eq!(convert(&s)[0].remote_endpoint, None);
    }

    #[test]
    fn finagle_ca_with_the_server_service_name_loses_it() {
        let server = ep("svc", 1, 9000);
        let ca = ep("svc", 9, 40000);
        let mut s = base();
        s.annotations = vec![ann(10, "sr", &server), ann(20, "ss", &server)];
        s.binary_annotations = vec![bin("ca", AnnotationValue::Bool(true), Some(&ca))];
        let span = &convert(&s)[0];
        assert_eq!(span.remote_endpoint, v2ep("", 9, 40000));
    }

    #[test]
    fn typed_binary_annotations_become_tag_strings() {
        let e = ep("svc", 1, 0);
        let mut s = base();
        s.binary_annotations = vec![
            bin("i16", AnnotationValue::I16(-1), Some(&e)),
            bin("i32", AnnotationValue::I32(-70000), Some(&e)),
            bin("i64", AnnotationValue::I64(1 << 40), Some(&e)),
            bin("d", AnnotationValue::Double(2.5), Some(&e)),
            bin("b", AnnotationValue::Bool(true), Some(&e)),
            bin("bytes", AnnotationValue::Bytes(b"hi".to_vec()), Some(&e)),
            bin("b", AnnotationValue::Bool(false), Some(&e)),
        ];
        let tags: Vec<(String, String)> =
            convert(&s)[0].tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect();
        let expect = [
            ("i16", "-1"),
            ("i32", "-70000"),
            ("i64", "1099511627776"),
            ("d", "2.5"),
            ("b", "false"),
            ("bytes", "aGk="),
        ];
        assert_eq!(tags, expect.map(|(k, v)| (k.to_string(), v.to_string())));
    }

    #[test]
    fn messaging_spans() {
        let (p, broker) = (ep("producer", 1, 0), ep("kafka", 5, 9092));
        let mut s = base();
        s.annotations = vec![ann(100, "ms", &p), ann(105, "ws", &p)];
        s.binary_annotations = vec![bin("ma", AnnotationValue::Bool(true), Some(&broker))];
        let span = &convert(&s)[0];
        assert_eq!((span.kind, span.timestamp, span.duration), (Kind::Producer as i32, 100, 5));
        assert_eq!(span.remote_endpoint, v2ep("kafka", 5, 9092));
        assert!(span.annotations.is_empty());
    }

    #[test]
    fn bad_spans_are_errors() {
        let e = ep("svc", 1, 0);
        let mut s = base();
        s.annotations = vec![ann(100, "sr", &e), ann(90, "ss", &e)];
        let mut out = Vec::new();
        assert_eq!(v1_to_v2(&s, &mut out).unwrap_err().field, "annotations");
        assert!(out.is_empty());
        let mut s = base();
        s.id = 0;
        assert_eq!(v1_to_v2(&s, &mut out).unwrap_err().field, "id");
        let mut s = base();
        s.trace_id = 0;
        assert_eq!(v1_to_v2(&s, &mut out).unwrap_err().field, "traceId");
    }

    #[test]
    fn self_parent_and_128_bit_trace_id() {
        let mut s = base();
        s.trace_id_high = 0x1;
        s.parent_id = Some(s.id);
        let span = &convert(&s)[0];
        assert!(span.parent_id.is_empty());
        assert_eq!(crate::ids::to_hex(&span.trace_id), "00000000000000010000000000000abc");
    }

    fn v2(kind: Kind) -> model::Span {
        model::Span {
            trace_id: vec![0x11; 16],
            parent_id: vec![0, 0, 0, 0, 0, 0, 0, 1],
            id: vec![0, 0, 0, 0, 0, 0, 0, 2],
            kind: kind as i32,
            name: "op".into(),
            timestamp: 1_700_000_000_000_000,
            duration: 1234,
            local_endpoint: v2ep("local", 1, 8080),
            remote_endpoint: v2ep("remote", 2, 443),
            annotations: vec![model::Annotation {
                timestamp: 1_700_000_000_000_100,
                value: "retry".into(),
            }],
            tags: vec![
                model::Tag { key: "http.method".into(), value: "GET".into() },
                model::Tag { key: "a".into(), value: "b".into() },
            ],
            debug: true,
            shared: false,
        }
    }

    fn round_trip(span: &model::Span) -> Vec<model::Span> {
        convert(&v2_to_v1(span).unwrap())
    }

    #[test]
    fn v2_v1_v2_round_trips() {
        for kind in [Kind::Client, Kind::Server, Kind::Producer, Kind::Consumer] {
            let span = v2(kind);
            assert_eq!(round_trip(&span), vec![span.clone()], "{kind:?}");
            // Timestamp only (no duration).
            let mut span = v2(kind);
            span.duration = 0;
            assert_eq!(round_trip(&span), vec![span.clone()], "{kind:?} without duration");
        }
        // Shared server.
        let mut span = v2(Kind::Server);
        span.shared = true;
        let v1 = v2_to_v1(&span).unwrap();
        assert_eq!((v1.timestamp, v1.duration), (None, None));
        assert_eq!(round_trip(&span), vec![span.clone()]);
        // `shared` is only a server notion in v1: other kinds keep their timing, lose the flag.
        let mut span = v2(Kind::Unspecified);
        span.shared = true;
        let back = round_trip(&span);
        assert_eq!(
            (back[0].timestamp, back[0].duration, back[0].shared),
            (span.timestamp, 1234, false)
        );
        // Annotations keep their order, even out of time order.
        let mut span = v2(Kind::Client);
        span.annotations
            .insert(0, model::Annotation { timestamp: span.timestamp + 500, value: "late".into() });
        assert_eq!(round_trip(&span), vec![span.clone()]);
        // Local span, with and without tags/annotations.
        let mut span = v2(Kind::Unspecified);
        span.remote_endpoint = None;
        assert_eq!(round_trip(&span), vec![span.clone()]);
        span.tags.clear();
        span.annotations.clear();
        let v1 = v2_to_v1(&span).unwrap();
        assert_eq!(v1.binary_annotations[0].key, "lc");
        assert_eq!(round_trip(&span), vec![span.clone()]);
        // A root span with a 64-bit trace id.
        span.parent_id.clear();
        span.trace_id = vec![0, 0, 0, 0, 0, 0, 0, 9];
        assert_eq!(round_trip(&span), vec![span.clone()]);
    }

    #[test]
    fn v2_to_v1_writes_core_annotations() {
        let v1 = v2_to_v1(&v2(Kind::Client)).unwrap();
        let values: Vec<&str> = v1.annotations.iter().map(|a| a.value.as_str()).collect();
        assert_eq!(values, ["cs", "retry", "cr"]);
        assert_eq!(v1.annotations[2].timestamp, 1_700_000_000_000_000 + 1234);
        assert!(v1
            .annotations
            .iter()
            .all(|a| a.endpoint.as_ref().unwrap().service_name == "local"));
        let last = v1.binary_annotations.last().unwrap();
        assert_eq!((last.key.as_str(), &last.value), ("sa", &AnnotationValue::Bool(true)));
        assert_eq!(last.endpoint.as_ref().unwrap().port, 443);
        assert_eq!(v1.trace_id_high, 0x1111111111111111);

        let mut bad = v2(Kind::Client);
        bad.id = vec![1, 2];
        assert!(v2_to_v1(&bad).is_err());
    }
}

/// Arbitrary v2 spans that Zipkin v1 can carry exactly, for round-trip property tests.
///
/// v1 loses what it cannot express, so the spans stay inside its reach: a local endpoint with
/// a service name (core annotations need a host), a remote endpoint of another service,
/// a timestamp (kind is only carried by timed core annotations), annotation values that are not
/// two-letter core codes, tag keys that are not `ca`/`sa`/`ma`/`lc`, `shared` only on servers,
/// and 16-byte trace ids only with a non-zero high half.
#[cfg(test)]
pub(crate) mod strategies {
    use super::model::{self, Kind};
    use proptest::prelude::*;

    fn endpoint(prefix: &'static str) -> impl Strategy<Value = model::Endpoint> {
        (
            "[a-z0-9-]{1,10}",
            proptest::option::of(any::<[u8; 4]>().prop_filter("not 0.0.0.0", |ip| *ip != [0; 4])),
            proptest::option::of(any::<[u8; 12]>()),
            any::<u16>(),
        )
            .prop_map(move |(name, v4, v6, port)| model::Endpoint {
                service_name: format!("{prefix}{name}"),
                ipv4: v4.map(|ip| ip.to_vec()).unwrap_or_default(),
                // 2001:db8::/32, never IPv4-mapped.
                ipv6: v6
                    .map(|low| [&[0x20, 0x01, 0x0d, 0xb8][..], &low].concat())
                    .unwrap_or_default(),
                port: i32::from(port),
            })
    }

    /// A v2 span inside v1's reach.
    pub(crate) fn v2_span() -> impl Strategy<Value = model::Span> {
        let kind = prop_oneof![
            Just(Kind::Unspecified),
            Just(Kind::Client),
            Just(Kind::Server),
            Just(Kind::Producer),
            Just(Kind::Consumer),
        ];
        let ids = (
            prop_oneof![
                (1u64..).prop_map(|low| low.to_be_bytes().to_vec()),
                ((1u64..), any::<u64>())
                    .prop_map(|(high, low)| { [high.to_be_bytes(), low.to_be_bytes()].concat() }),
            ],
            1u64..,
            proptest::option::of(1u64..),
        );
        let times = (1u64..(1 << 53), prop_oneof![Just(0u64), 1u64..(1 << 32)]);
        let annotations = proptest::collection::btree_set((1u64..(1 << 53), "[a-z ]{3,12}"), 0..4);
        let tags = proptest::collection::btree_map("[a-z.]{3,12}", any::<String>(), 0..5);
        (
            kind,
            ids,
            times,
            any::<String>(),
            endpoint("l"),
            proptest::option::of(endpoint("r")),
            annotations,
            tags,
            any::<(bool, bool)>(),
        )
            .prop_map(
                |(kind, (trace, id, parent), (ts, dur), name, local, remote, anns, tags, flags)| {
                    model::Span {
                        trace_id: trace,
                        parent_id: parent
                            .filter(|&p| p != id)
                            .map(|p| p.to_be_bytes().to_vec())
                            .unwrap_or_default(),
                        id: id.to_be_bytes().to_vec(),
                        kind: kind as i32,
                        name,
                        timestamp: ts,
                        duration: dur,
                        local_endpoint: Some(local),
                        remote_endpoint: remote,
                        annotations: anns
                            .into_iter()
                            .map(|(timestamp, value)| model::Annotation { timestamp, value })
                            .collect(),
                        tags: tags
                            .into_iter()
                            .map(|(key, value)| model::Tag { key, value })
                            .collect(),
                        debug: flags.0,
                        shared: flags.1 && kind == Kind::Server,
                    }
                },
            )
    }
}
