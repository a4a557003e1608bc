//! The `x509` dataset record.

/// One certificate of one handshake (SCHEMA.md `x509`), rendered like Zeek's `x509.log`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct X509Record {
    /// Time of the packet that completed the Certificate message, µs since the epoch.
    pub ts_us: i64,
    /// Position in the chain as sent (0 = first certificate).
    pub chain_index: i32,
    /// SHA-256 of the DER bytes, lower-case hex.
    pub fingerprint_sha256: String,
    /// SHA-1 of the DER bytes, lower-case hex.
    pub fingerprint_sha1: String,
    /// Certificate version (1, 2 or 3).
    pub version: Option<i32>,
    /// Serial number, upper-case hex without separators (Zeek's rendering).
    pub serial: Option<String>,
    /// Subject DN, rendered as Zeek prints it (RFC 4514 order, `CN=..,O=..`).
    pub subject: Option<String>,
    /// Issuer DN, same rendering.
    pub issuer: Option<String>,
    /// The subject's most specific (last in DER order) common name, decoded to
    /// text: the entry Zeek takes for `certificate.cn`.
    pub common_name: Option<String>,
    /// Start of validity, µs since the epoch (whole seconds; null if unreadable).
    pub not_before_us: Option<i64>,
    /// End of validity, µs since the epoch.
    pub not_after_us: Option<i64>,
    /// Public key algorithm name (`rsaEncryption`, `id-ecPublicKey`, ...), as Zeek names it.
    pub key_alg: Option<String>,
    /// Signature algorithm name (`sha256WithRSAEncryption`, ...), as Zeek names it.
    pub sig_alg: Option<String>,
    /// Key type: `rsa`, `dsa`, `ecdsa` (Zeek's values).
    pub key_type: Option<String>,
    /// Key length in bits.
    pub key_length: Option<i32>,
    /// RSA public exponent, decimal.
    pub exponent: Option<String>,
    /// Named curve of an EC key (`prime256v1`, ...).
    pub curve: Option<String>,
    /// DNS names of the subjectAltName extension.
    pub san_dns: Vec<String>,
    /// IP addresses of the subjectAltName extension.
    pub san_ip: Vec<String>,
    /// E-mail addresses of the subjectAltName extension.
    pub san_email: Vec<String>,
    /// URIs of the subjectAltName extension.
    pub san_uri: Vec<String>,
    /// basicConstraints CA flag (null without the extension).
    pub is_ca: Option<bool>,
    /// basicConstraints path length.
    pub path_len: Option<i32>,
    /// Subject equals issuer (same DER or same rendering); the signature is not
    /// verified.
    pub self_signed: bool,
    /// JA4X (only with the `ja4plus` feature; null otherwise).
    pub ja4x: Option<String>,
    /// The end-host certificate: the first of its chain (Zeek's `host_cert`).
    pub host_cert: bool,
    /// Sent by the client.
    pub client_cert: bool,
}
