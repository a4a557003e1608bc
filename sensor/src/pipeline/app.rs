//! Per-flow application state: protocol detection, then the protocol's parser.
//!
//! Kept behind one pointer so a flow-table entry stays small; flows whose protocol
//! we do not decode hold no allocation at all.

use decoders::dns::DnsParser;
use decoders::{AppProto, Transport};

/// Bytes of an incomplete message kept per direction while waiting for the rest
/// (a DNS/TCP message is at most 65535 + 2 bytes, RFC 1035 4.2.2).
pub const MAX_TAIL_BYTES: usize = 65_537;

/// What we know of a flow's application protocol.
#[derive(Default)]
pub enum AppState {
    /// No payload seen yet.
    #[default]
    Undecided,
    /// A decoder is attached.
    Decoding(Box<Decoding>),
    /// Not a protocol we decode (or decoding failed); the payload is skipped.
    Ignored {
        /// What had been detected before decoding stopped.
        proto: Option<AppProto>,
    },
}

/// A flow being decoded.
pub struct Decoding {
    /// The protocol.
    pub proto: AppProto,
    /// Its parser.
    pub parser: Parser,
    /// Unconsumed stream bytes per direction (TCP only), index `Dir as usize`.
    pub tails: [Vec<u8>; 2],
}

/// The parsers, dispatched by `match` (no dynamic dispatch per packet).
pub enum Parser {
    /// DNS over UDP or TCP.
    Dns(DnsParser),
}

impl AppState {
    /// The detected protocol's name, for `flow.app_proto`.
    pub fn proto_name(&self) -> Option<&'static str> {
        match self {
            AppState::Undecided => None,
            AppState::Decoding(d) => Some(d.proto.name()),
            AppState::Ignored { proto } => proto.map(|p| p.name()),
        }
    }

    /// Start decoding `proto`.
    pub fn start(proto: AppProto, transport: Transport) -> Self {
        let parser = match proto {
            AppProto::Dns => Parser::Dns(DnsParser::new(transport)),
        };
        AppState::Decoding(Box::new(Decoding {
            proto,
            parser,
            tails: [Vec::new(), Vec::new()],
        }))
    }
}
