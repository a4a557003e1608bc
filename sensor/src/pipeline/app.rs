//! Per-flow application state: protocol detection, then the protocol's parser.
//!
//! Kept behind one pointer so a flow-table entry stays small; flows whose protocol
//! we do not decode hold no allocation at all.

use decoders::dns::DnsParser;
use decoders::files::ExtractPolicy;
use decoders::http::HttpParser;
use decoders::quic::QuicParser;
use decoders::tls::TlsParser;
use decoders::{AppProto, Transport};

/// Bytes of an incomplete message kept per direction while waiting for the rest
/// (a DNS/TCP message is at most 65535 + 2 bytes, RFC 1035 4.2.2; a TLS record
/// at most 2^14 + 2048 + 5 bytes, RFC 5246 6.2.3).
pub const MAX_TAIL_BYTES: usize = 65_537;

/// Data chunks of a TCP flow (both directions together) checked for a protocol
/// we decode before the flow is given up as unknown. Protocols upgrade to TLS a
/// few exchanges in (FTP `AUTH TLS`, IRC/XMPP/LDAP `STARTTLS`, MySQL and
/// PostgreSQL SSL requests, RDP's X.224 negotiation, HTTP `CONNECT`), always at
/// a message boundary; 32 chunks covers the corpus's longest (XMPP dialback).
pub const MAX_PROBE_CHUNKS: u16 = 32;

/// The application decoders a run uses (`--decoders`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecoderSet(u32);

impl DecoderSet {
    /// Every protocol netlake decodes, in the order `netlake replay --help` names them.
    pub const KNOWN: &'static [AppProto] =
        &[AppProto::Dns, AppProto::Http, AppProto::Tls, AppProto::Quic];

    /// All decoders on.
    pub fn all() -> Self {
        Self::KNOWN.iter().fold(DecoderSet(0), |s, p| s.with(*p))
    }

    fn with(self, p: AppProto) -> Self {
        DecoderSet(self.0 | 1 << p as u32)
    }

    /// Whether `p` is decoded.
    pub fn contains(self, p: AppProto) -> bool {
        self.0 & 1 << p as u32 != 0
    }

    /// Parse `all`, `none` or a comma-separated list of protocol names.
    ///
    /// # Errors
    /// An unknown protocol name (the message lists the known ones).
    pub fn parse(spec: &str) -> anyhow::Result<Self> {
        match spec.trim() {
            "all" => return Ok(Self::all()),
            "none" | "" => return Ok(DecoderSet(0)),
            _ => {}
        }
        let mut set = DecoderSet(0);
        for name in spec.split(',').map(str::trim) {
            let Some(p) = Self::KNOWN.iter().find(|p| p.name() == name) else {
                let known: Vec<&str> = Self::KNOWN.iter().map(|p| p.name()).collect();
                anyhow::bail!(
                    "--decoders: unknown protocol {name:?} (known: {}, or all, none)",
                    known.join(", ")
                );
            };
            set = set.with(*p);
        }
        Ok(set)
    }
}

/// What we know of a flow's application protocol.
///
/// One pointer wide (the `Box` niche holds the other variants), so the flow-table
/// entry stays within its 256-byte budget.
#[derive(Default)]
pub enum AppState {
    /// No protocol detected. A direction whose first data is not one we decode
    /// is bypassed by the flow tracker, so "not ours" needs no state of its own.
    #[default]
    Undecided,
    /// A decoder is attached.
    Decoding(Box<Decoding>),
}

/// A flow being decoded.
pub struct Decoding {
    /// The protocol (`None` while still probing an unknown TCP flow).
    pub proto: Option<AppProto>,
    /// Its parser.
    pub parser: Parser,
    /// Unconsumed stream bytes per direction (TCP only), index `Dir as usize`.
    pub tails: [Vec<u8>; 2],
}

/// The parsers, dispatched by `match` (no dynamic dispatch per packet).
pub enum Parser {
    /// DNS over UDP or TCP.
    Dns(DnsParser),
    /// TLS over TCP (boxed, like QUIC: keeps the enum small for DNS flows).
    Tls(Box<TlsParser>),
    /// QUIC Initial packets over UDP.
    Quic(Box<QuicParser>),
    /// HTTP/1.x over TCP.
    Http(Box<HttpParser>),
    /// Decoding failed (framing lost), or probing gave up: the flow keeps its
    /// protocol name, the parser's state is dropped and the payload is skipped.
    Failed,
    /// An unknown TCP flow whose chunks are still checked for a protocol starting
    /// mid-stream (STARTTLS and the like), at most [`MAX_PROBE_CHUNKS`].
    Probing {
        /// Data chunks checked so far.
        chunks: u16,
    },
}

impl AppState {
    /// The detected protocol's name, for `flow.app_proto`.
    pub fn proto_name(&self) -> Option<&'static str> {
        match self {
            AppState::Undecided => None,
            AppState::Decoding(d) => d.proto.map(|p| p.name()),
        }
    }

    /// Start decoding `proto` for flow `flow_id`; `extract` selects HTTP bodies to store.
    pub fn start(
        proto: AppProto,
        transport: Transport,
        flow_id: u64,
        extract: Option<&ExtractPolicy>,
    ) -> Self {
        let parser = match proto {
            AppProto::Http => {
                let p = HttpParser::new(flow_id);
                Parser::Http(Box::new(match extract {
                    Some(policy) => p.with_extraction(policy.clone()),
                    None => p,
                }))
            }
            AppProto::Dns => Parser::Dns(DnsParser::new(transport)),
            AppProto::Tls => Parser::Tls(Box::new(TlsParser::new(transport))),
            AppProto::Quic => Parser::Quic(Box::new(QuicParser::new())),
        };
        AppState::Decoding(Box::new(Decoding {
            proto: Some(proto),
            parser,
            tails: [Vec::new(), Vec::new()],
        }))
    }

    /// Start probing an unknown TCP flow (its first chunk was checked already).
    pub fn probing() -> Self {
        AppState::Decoding(Box::new(Decoding {
            proto: None,
            parser: Parser::Probing { chunks: 1 },
            tails: [Vec::new(), Vec::new()],
        }))
    }

    /// Whether this flow is an unknown TCP flow still being probed.
    pub fn is_probing(&self) -> bool {
        matches!(self, AppState::Decoding(d) if matches!(d.parser, Parser::Probing { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoder_set_parses_lists_and_rejects_unknown_names() {
        let s = DecoderSet::parse("dns, quic").unwrap();
        assert!(s.contains(AppProto::Dns) && s.contains(AppProto::Quic));
        assert!(!s.contains(AppProto::Tls));
        assert!(DecoderSet::parse("all").unwrap().contains(AppProto::Tls));
        assert!(!DecoderSet::parse("none").unwrap().contains(AppProto::Dns));
        let e = DecoderSet::parse("dns,gopher").unwrap_err().to_string();
        assert!(e.contains("gopher") && e.contains("tls"), "{e}");
    }

    #[test]
    fn flow_table_entry_with_app_state_fits_256_bytes() {
        let size = flow::FlowTracker::<AppState>::entry_size();
        assert!(
            size <= 256,
            "AppState {} bytes, entry {size} bytes",
            std::mem::size_of::<AppState>()
        );
    }
}
