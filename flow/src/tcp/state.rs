//! Zeek's TCP endpoint state machine and `conn_state` summary.

use crate::parse::tcp_flags as f;

/// State of one TCP endpoint, as Zeek's `TCP_ENDPOINT_*`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum EpState {
    /// Nothing sent yet.
    #[default]
    Inactive,
    /// Sent a SYN.
    SynSent,
    /// Sent a SYN+ACK.
    SynAckSent,
    /// Seen mid-stream: sent data without a SYN we saw.
    Partial,
    /// Handshake completed.
    Established,
    /// Sent a FIN.
    Closed,
    /// Sent an RST.
    Reset,
}

/// The sender's new state after a segment with `flags` and `len` payload bytes; may move
/// the peer to established when this segment completes the handshake. `peer_syn`: the peer
/// has sent a SYN. Without one a side that sent a SYN stays `SynSent` whatever else it
/// sends, as in Zeek (only the peer's SYN establishes it): an unanswered SYN followed by
/// data is still `S0`.
pub(crate) fn next_state(
    cur: EpState,
    peer: &mut EpState,
    flags: u8,
    len: u64,
    peer_syn: bool,
) -> EpState {
    let has = |b: u8| flags & b != 0;
    if has(f::RST) {
        return EpState::Reset;
    }
    if cur == EpState::Reset {
        return cur;
    }
    if has(f::SYN) {
        return match cur {
            EpState::Inactive => {
                if has(f::ACK) {
                    EpState::SynAckSent
                } else {
                    EpState::SynSent
                }
            }
            other => other,
        };
    }
    if has(f::FIN) {
        return EpState::Closed;
    }
    match cur {
        EpState::Inactive if has(f::ACK) && *peer == EpState::SynAckSent => {
            // The ACK completing a handshake whose SYN we missed.
            *peer = EpState::Established;
            EpState::Established
        }
        EpState::Inactive => EpState::Partial,
        EpState::SynSent | EpState::SynAckSent if peer_syn && (has(f::ACK) || len > 0) => {
            if *peer == EpState::SynAckSent || *peer == EpState::SynSent {
                *peer = EpState::Established;
            }
            EpState::Established
        }
        other => other,
    }
}

/// Zeek's `/^\^?S[^HAFGIQ]*R/` test on the history: a SYN answered only by our own RST.
fn syn_then_reset(h: &str) -> bool {
    let s = h.strip_prefix('^').unwrap_or(h);
    let Some(rest) = s.strip_prefix('S') else {
        return false;
    };
    for c in rest.chars() {
        match c {
            'R' => return true,
            'H' | 'A' | 'F' | 'G' | 'I' | 'Q' => return false,
            _ => {}
        }
    }
    false
}

/// Zeek's `conn_state` for a TCP connection (base/protocols/conn/main.zeek).
pub(crate) fn conn_state(
    os: EpState,
    rs: EpState,
    orig_size: u64,
    resp_size: u64,
    hist: &str,
) -> &'static str {
    use EpState::*;
    let o_inactive = matches!(os, Inactive | Partial);
    let r_inactive = matches!(rs, Inactive | Partial);
    if rs == Reset {
        if matches!(os, SynSent | SynAckSent) || (os == Reset && orig_size == 0 && resp_size == 0) {
            return "REJ";
        }
        return if o_inactive { "RSTRH" } else { "RSTR" };
    }
    if os == Reset {
        if !r_inactive {
            return "RSTO";
        }
        if syn_then_reset(hist) {
            return "RSTOS0";
        }
    }
    if rs == Closed && os == Closed {
        return "SF";
    }
    if os == Closed {
        return if r_inactive { "SH" } else { "S2" };
    }
    if rs == Closed {
        return if o_inactive { "SHR" } else { "S3" };
    }
    if os == SynSent && rs == Inactive {
        return "S0";
    }
    if os == Established && rs == Established {
        return "S1";
    }
    "OTH"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_establishes_both() {
        let mut o = EpState::Inactive;
        let mut r = EpState::Inactive;
        o = next_state(o, &mut r, f::SYN, 0, false);
        r = next_state(r, &mut o, f::SYN | f::ACK, 0, true);
        assert_eq!((o, r), (EpState::SynSent, EpState::SynAckSent));
        o = next_state(o, &mut r, f::ACK, 0, true);
        assert_eq!((o, r), (EpState::Established, EpState::Established));
        assert_eq!(conn_state(o, r, 0, 0, ""), "S1");
    }

    #[test]
    fn unanswered_syn_stays_syn_sent() {
        let mut o = EpState::Inactive;
        let mut r = EpState::Inactive;
        o = next_state(o, &mut r, f::SYN, 0, false);
        o = next_state(o, &mut r, f::ACK, 10, false);
        assert_eq!((o, r), (EpState::SynSent, EpState::Inactive));
        assert_eq!(conn_state(o, r, 10, 0, "SAD"), "S0");
    }

    #[test]
    fn rej_and_s0() {
        let h = "";
        assert_eq!(conn_state(EpState::SynSent, EpState::Reset, 0, 0, h), "REJ");
        assert_eq!(
            conn_state(EpState::SynSent, EpState::Inactive, 0, 0, h),
            "S0"
        );
        assert_eq!(conn_state(EpState::Closed, EpState::Closed, 1, 1, h), "SF");
        assert_eq!(
            conn_state(EpState::Closed, EpState::Inactive, 1, 0, h),
            "SH"
        );
        assert_eq!(
            conn_state(EpState::Partial, EpState::Partial, 1, 1, h),
            "OTH"
        );
    }

    #[test]
    fn rstos0_pattern() {
        assert!(syn_then_reset("SR"));
        assert!(syn_then_reset("^STR"));
        assert!(syn_then_reset("ShR"));
        assert!(!syn_then_reset("SHR"));
        assert!(!syn_then_reset("DR"));
    }
}
