//! Initial packet protection keys (RFC 9001 section 5.2, RFC 9369 section 3.3).
//!
//! Initial secrets come from the client's first Destination Connection ID and
//! a salt that is public per version, so any observer can remove Initial
//! packet protection: AES-128-GCM for the payload, AES-128-ECB on a 16-byte
//! sample for the header (RFC 9001 section 5.4.3).

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;
use aes_gcm::aead::AeadInPlace;
use aes_gcm::Aes128Gcm;
use hkdf::Hkdf;
use sha2::Sha256;

/// The QUIC versions whose Initial packets we can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    /// QUIC version 1, RFC 9000 (0x00000001).
    V1,
    /// QUIC version 2, RFC 9369 (0x6b3343cf).
    V2,
}

impl Version {
    /// The version of a long header's version field, if we support it.
    pub(crate) fn from_wire(v: u32) -> Option<Self> {
        match v {
            0x0000_0001 => Some(Self::V1),
            0x6b33_43cf => Some(Self::V2),
            _ => None,
        }
    }

    /// Long-header packet type bits of an Initial packet (RFC 9369 section 3.2 swaps them).
    pub(crate) fn initial_type(self) -> u8 {
        match self {
            Self::V1 => 0,
            Self::V2 => 1,
        }
    }

    /// Long-header packet type bits of a Retry packet (which has no Length field).
    pub(crate) fn retry_type(self) -> u8 {
        match self {
            Self::V1 => 3,
            Self::V2 => 0,
        }
    }

    fn salt(self) -> &'static [u8; 20] {
        match self {
            // RFC 9001 section 5.2.
            Self::V1 => &[
                0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
                0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
            ],
            // RFC 9369 section 3.3.1.
            Self::V2 => &[
                0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
                0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
            ],
        }
    }

    /// Labels for the key, IV and header-protection key (RFC 9369 section 3.3.2).
    fn labels(self) -> [&'static str; 3] {
        match self {
            Self::V1 => ["quic key", "quic iv", "quic hp"],
            Self::V2 => ["quicv2 key", "quicv2 iv", "quicv2 hp"],
        }
    }
}

/// Packet protection for one direction of Initial packets.
pub(crate) struct Keys {
    aead: Aes128Gcm,
    iv: [u8; 12],
    hp: Aes128,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

/// The raw key material (for tests against the RFC vectors).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct KeyMaterial {
    pub key: [u8; 16],
    pub iv: [u8; 12],
    pub hp: [u8; 16],
}

/// TLS 1.3 HKDF-Expand-Label with an empty context (RFC 8446 section 7.1).
fn expand_label(prk: &Hkdf<Sha256>, label: &str, out: &mut [u8]) {
    let full = [b"tls13 ", label.as_bytes()].concat();
    let mut info = Vec::with_capacity(4 + full.len());
    // Lengths here are small constants (<= 32 bytes out, labels < 20 bytes).
    info.extend_from_slice(&(out.len() as u16).to_be_bytes());
    info.push(full.len() as u8);
    info.extend_from_slice(&full);
    info.push(0);
    // Cannot fail: the output is far below 255 * 32 bytes.
    let _ = prk.expand(&info, out);
}

/// Initial key material of the client (`client in`) or server (`server in`)
/// for a connection whose client chose `dcid`.
pub(crate) fn initial_material(version: Version, dcid: &[u8], client: bool) -> KeyMaterial {
    let initial = Hkdf::<Sha256>::new(Some(version.salt()), dcid);
    let mut secret = [0u8; 32];
    expand_label(
        &initial,
        if client { "client in" } else { "server in" },
        &mut secret,
    );
    // A 32-byte secret is always a valid PRK for SHA-256; the fallback is unreachable.
    let prk = Hkdf::<Sha256>::from_prk(&secret).unwrap_or_else(|_| Hkdf::new(None, &secret));
    let [kl, il, hl] = version.labels();
    let mut m = KeyMaterial {
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    expand_label(&prk, kl, &mut m.key);
    expand_label(&prk, il, &mut m.iv);
    expand_label(&prk, hl, &mut m.hp);
    m
}

impl Keys {
    /// Keys of one direction's Initial packets.
    pub(crate) fn initial(version: Version, dcid: &[u8], client: bool) -> Self {
        let m = initial_material(version, dcid, client);
        Self {
            aead: Aes128Gcm::new(&m.key.into()),
            iv: m.iv,
            hp: Aes128::new(&m.hp.into()),
        }
    }

    /// Header-protection mask: AES-ECB of the 16-byte sample (RFC 9001 section 5.4.3).
    pub(crate) fn mask(&self, sample: &[u8; 16]) -> [u8; 16] {
        let mut block = (*sample).into();
        self.hp.encrypt_block(&mut block);
        block.into()
    }

    fn nonce(&self, pn: u64) -> [u8; 12] {
        let mut nonce = self.iv;
        for (n, p) in nonce.iter_mut().skip(4).zip(pn.to_be_bytes()) {
            *n ^= p;
        }
        nonce
    }

    /// Decrypt `buf` (ciphertext followed by the 16-byte tag) in place; on
    /// success the plaintext is `buf[..len - 16]`. False when authentication fails.
    #[must_use]
    pub(crate) fn open(&self, pn: u64, aad: &[u8], buf: &mut [u8]) -> bool {
        let Some(split) = buf.len().checked_sub(16) else {
            return false;
        };
        let (ct, tag) = buf.split_at_mut(split);
        let Ok(tag) = <[u8; 16]>::try_from(&*tag) else {
            return false;
        };
        let nonce = self.nonce(pn);
        self.aead
            .decrypt_in_place_detached(&nonce.into(), aad, ct, &tag.into())
            .is_ok()
    }

    /// Encrypt `buf` in place and return the tag (tests build packets with this).
    #[cfg(test)]
    pub(crate) fn seal(&self, pn: u64, aad: &[u8], buf: &mut [u8]) -> [u8; 16] {
        let nonce = self.nonce(pn);
        self.aead
            .encrypt_in_place_detached(&nonce.into(), aad, buf)
            .map(Into::into)
            .unwrap_or([0; 16])
    }
}
