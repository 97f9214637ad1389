//! A Zipkin v2 span borrowing its text from the input: what every Zipkin reader produces and
//! every Zipkin writer consumes, and what the one mapping ([`super::to_otlp`],
//! [`super::from_otlp`]) works on. Strings are `Cow`s (borrowed unless the input had to be
//! unescaped or converted), ids are small inline arrays, so a span costs two `Vec`s at most.

use super::model::{self, Annotation, Endpoint, Kind, Tag};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An id of up to 16 bytes kept inline, with the length it had in the input (which may be
/// longer than 16 when read from protobuf: the mapping rejects it by its length).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Id {
    buf: [u8; 16],
    len: usize,
}

impl Id {
    /// An id holding `bytes` (only the length is kept beyond 16 bytes).
    pub fn new(bytes: &[u8]) -> Self {
        let mut buf = [0u8; 16];
        let n = bytes.len().min(16);
        buf[..n].copy_from_slice(&bytes[..n]);
        Id { buf, len: bytes.len() }
    }

    /// The bytes (the first 16 for an over-long id).
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len.min(16)]
    }

    /// The length in the input.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for an absent id.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A Zipkin endpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct EndpointView<'a> {
    /// Service name, may be empty.
    pub service_name: Cow<'a, str>,
    /// IPv4 address, if any.
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address, if any.
    pub ipv6: Option<Ipv6Addr>,
    /// Port, 0 = none.
    pub port: u16,
}

impl<'a> EndpointView<'a> {
    /// True when the endpoint has nothing to write.
    pub fn is_empty(&self) -> bool {
        self.service_name.is_empty() && self.ipv4.is_none() && self.ipv6.is_none() && self.port == 0
    }

    /// The address, IPv6 first (Zipkin keeps one of each; OTLP has one attribute).
    pub fn ip(&self) -> Option<IpAddr> {
        self.ipv6.map(IpAddr::V6).or(self.ipv4.map(IpAddr::V4))
    }

    /// Sets the address field that fits `ip`.
    pub fn set_ip(&mut self, ip: IpAddr) {
        match ip {
            IpAddr::V4(a) => self.ipv4 = Some(a),
            IpAddr::V6(a) => self.ipv6 = Some(a),
        }
    }

    /// A view of a model endpoint; addresses of the wrong length and ports outside u16 are
    /// absent.
    pub fn of_model(e: &'a Option<Endpoint>) -> Self {
        let Some(e) = e else { return EndpointView::default() };
        EndpointView {
            service_name: Cow::Borrowed(&e.service_name),
            ipv4: <[u8; 4]>::try_from(e.ipv4.as_slice()).ok().map(Ipv4Addr::from),
            ipv6: <[u8; 16]>::try_from(e.ipv6.as_slice()).ok().map(Ipv6Addr::from),
            port: u16::try_from(e.port).unwrap_or(0),
        }
    }

    /// The model endpoint (`None` when empty).
    pub fn to_model(&self) -> Option<Endpoint> {
        if self.is_empty() {
            return None;
        }
        Some(Endpoint {
            service_name: self.service_name.to_string(),
            ipv4: self.ipv4.map(|a| a.octets().to_vec()).unwrap_or_default(),
            ipv6: self.ipv6.map(|a| a.octets().to_vec()).unwrap_or_default(),
            port: i32::from(self.port),
        })
    }
}

/// One Zipkin v2 span.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ZipkinSpan<'a> {
    /// 8 or 16 bytes when valid.
    pub trace_id: Id,
    /// Empty or 8 bytes when valid.
    pub parent_id: Id,
    /// 8 bytes when valid.
    pub id: Id,
    /// Zipkin kind.
    pub kind: Kind,
    /// Name.
    pub name: Cow<'a, str>,
    /// µs, 0 = absent.
    pub timestamp: u64,
    /// µs, 0 = absent.
    pub duration: u64,
    /// Local endpoint (possibly empty).
    pub local: EndpointView<'a>,
    /// Remote endpoint (possibly empty).
    pub remote: EndpointView<'a>,
    /// (µs, value), in order.
    pub annotations: Vec<(u64, Cow<'a, str>)>,
    /// Tags, keys unique, in order.
    pub tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// Debug flag.
    pub debug: bool,
    /// Shared flag.
    pub shared: bool,
    /// The tags go on with the scope's pre-rendered JSON ([`super::from_otlp::ScopeCtx`]):
    /// set only on the OTLP → Zipkin JSON route, whose writer appends it.
    pub rendered_tail: bool,
}

impl<'a> ZipkinSpan<'a> {
    /// A view of a model span.
    pub fn of_model(s: &'a model::Span) -> Self {
        ZipkinSpan {
            trace_id: Id::new(&s.trace_id),
            parent_id: Id::new(&s.parent_id),
            id: Id::new(&s.id),
            kind: Kind::try_from(s.kind).unwrap_or(Kind::Unspecified),
            name: Cow::Borrowed(&s.name),
            timestamp: s.timestamp,
            duration: s.duration,
            local: EndpointView::of_model(&s.local_endpoint),
            remote: EndpointView::of_model(&s.remote_endpoint),
            annotations: s
                .annotations
                .iter()
                .map(|a| (a.timestamp, Cow::Borrowed(a.value.as_str())))
                .collect(),
            tags: s
                .tags
                .iter()
                .map(|t| (Cow::Borrowed(t.key.as_str()), Cow::Borrowed(t.value.as_str())))
                .collect(),
            debug: s.debug,
            shared: s.shared,
            rendered_tail: false,
        }
    }

    /// The owned model span.
    pub fn to_model(&self) -> model::Span {
        model::Span {
            trace_id: self.trace_id.as_slice().to_vec(),
            parent_id: self.parent_id.as_slice().to_vec(),
            id: self.id.as_slice().to_vec(),
            kind: self.kind as i32,
            name: self.name.to_string(),
            timestamp: self.timestamp,
            duration: self.duration,
            local_endpoint: self.local.to_model(),
            remote_endpoint: self.remote.to_model(),
            annotations: self
                .annotations
                .iter()
                .map(|(t, v)| Annotation { timestamp: *t, value: v.to_string() })
                .collect(),
            tags: self
                .tags
                .iter()
                .map(|(k, v)| Tag { key: k.to_string(), value: v.to_string() })
                .collect(),
            debug: self.debug,
            shared: self.shared,
        }
    }
}
