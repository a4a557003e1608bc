#!/usr/bin/env python3
"""Cut the DER certificates out of the corpus pcaps into <pcap-stem>-<n>.der.

TLS pcaps: tshark's tls.handshake.certificate. Captures where tshark does not
dissect the certificate (RDP, STARTTLS on IRC/LDAP, OPC UA): the TCP streams
are followed raw and scanned for DER SEQUENCEs that parse as certificates.
Duplicates (same SHA-256) are written once. Prints "file <- pcap" lines.
Run from the repository root: python3 testdata/decoders/x509/extract.py
"""
import hashlib, subprocess, sys
from pathlib import Path
from cryptography import x509

CORPUS = Path("testdata/corpus")
OUT = Path("testdata/decoders/x509")
TLS = [
    "zeek-tls-ecdhe.pcap", "zeek-tls-ecdsa-cert.pcap", "zeek-tls-telesec.pcap",
    "zeek-tls-tls-conn-with-extensions.pcap", "zeek-tls-tls1.2-late-protocol-error.pcap",
    "zeek-tls-xmpp-starttls.pcap", "zeek-mysql-encrypted.pcap",
    "suricata-tls-tls-subjectaltname-input.pcap", "arkime-arkime_synthetic.pcap",
    "arkime-badcurveball.pcap", "arkime-https-connect.pcap", "arkime-https-generalizedtime.pcap",
    "arkime-https3-301-get.pcap", "arkime-mysql-tls.pcap", "arkime-openssl-tls1_2-tls1.pcap",
    "ja4-http2-with-cookies.pcapng", "ja4-ssh2.pcapng",
]
# Keep the corpus small: of the 29 distinct certificates in the Suricata
# subjectAltName capture, only these (by extraction order) are kept.
SURICATA_SAN_KEEP = {0, 1, 8, 12, 21}
RAW = ["zeek-rdp-rdp-x509.pcap", "zeek-tls-irc-starttls.pcap", "suricata-ldap-starttls-input.pcap"]


def tshark(*args):
    return subprocess.run(["tshark", *args], capture_output=True, text=True, check=True).stdout


def tls_certs(pcap):
    out = tshark("-r", str(CORPUS / pcap), "-Y", "tls.handshake.certificate",
                 "-T", "fields", "-e", "tls.handshake.certificate")
    for line in out.split():
        for h in line.split(","):
            if h:
                yield bytes.fromhex(h.replace(":", ""))


def raw_certs(pcap):
    streams = tshark("-r", str(CORPUS / pcap), "-T", "fields", "-e", "tcp.stream")
    for s in sorted({int(x) for x in streams.split()}):
        out = tshark("-r", str(CORPUS / pcap), "-q", "-z", f"follow,tcp,raw,{s}")
        blob = bytearray()
        for line in out.splitlines():
            line = line.strip()
            if line and all(c in "0123456789abcdef" for c in line):
                blob += bytes.fromhex(line)
        i = 0
        while i + 4 < len(blob):
            if blob[i] == 0x30 and blob[i + 1] == 0x82 and blob[i + 4] == 0x30:
                n = 4 + (blob[i + 2] << 8 | blob[i + 3])
                der = bytes(blob[i:i + n])
                try:
                    x509.load_der_x509_certificate(der)
                except Exception:
                    i += 1
                    continue
                yield der
                i += n
            else:
                i += 1


def main():
    seen = set()
    for pcap, gen in [(p, tls_certs) for p in TLS] + [(p, raw_certs) for p in RAW]:
        stem = pcap.rsplit(".", 1)[0]
        n = 0
        for der in gen(pcap):
            h = hashlib.sha256(der).hexdigest()
            if h in seen:
                continue
            if pcap.startswith("suricata-tls-tls-subjectaltname") and n not in SURICATA_SAN_KEEP:
                n += 1
                continue
            seen.add(h)
            name = f"{stem}-{n}.der"
            (OUT / name).write_bytes(der)
            print(f"{name} <- {pcap} sha256={h}")
            n += 1


if __name__ == "__main__":
    sys.exit(main())
