"""TLS for the hub: a local CA and server certificate in the state dir, and TLS 1.3-only contexts.

    cc-backend --db /srv/cc/cc.db tls init --san hub.yk.local --san 10.1.2.3
    → /srv/cc/tls/ca.pem (give to clients: cc-app --ca ca.pem), ca.key, server.pem, server.key (0600)

Clients pin the CA: they trust this CA only, not the system store.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
from pathlib import Path

CA_FILE, CA_KEY, CERT_FILE, KEY_FILE = "ca.pem", "ca.key", "server.pem", "server.key"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class TlsError(RuntimeError):
    """TLS material missing or unusable; the message says what to do."""


def tls_dir(db_path: str | os.PathLike) -> Path:
    return Path(db_path).resolve().parent / "tls"


def is_loopback(host: str) -> bool:
    """Only the canonical loopback addresses count: anything else (127.0.0.2, 0.0.0.0, a LAN IP) is
    treated as reachable from beyond this machine and needs TLS."""
    return host in LOOPBACK_HOSTS


def _write(path: Path, data: bytes, private: bool) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _name(common: str):
    from cryptography.x509.oid import NameOID
    from cryptography import x509

    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "command-centre"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _san_entries(names: list[str]):
    from cryptography import x509

    out, seen = [], set()
    for name in ["localhost", "127.0.0.1", "127.0.0.2", "::1", socket.gethostname(), *names]:
        if not name or name in seen:
            continue
        seen.add(name)
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name))
    return out


def init(directory: str | os.PathLike, sans: list[str] | None = None, *, force: bool = False,
         days: int = 825, common: str = "command-centre local CA") -> dict[str, Path]:
    """Create a CA (ECDSA P-256) and a server certificate signed by it; refuse to overwrite unless
    ``force``. Returns the four paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    directory = Path(directory)
    paths = {k: directory / f for k, f in (("ca", CA_FILE), ("ca_key", CA_KEY), ("cert", CERT_FILE),
                                           ("key", KEY_FILE))}
    if paths["ca"].exists() and not force:
        raise TlsError(f"{paths['ca']} exists; use --force to replace the CA (every client must get the new one)")
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(common)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("command-centre hub")).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(_san_entries(list(sans or []))), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    private = dict(encoding=pem, format=serialization.PrivateFormat.PKCS8,
                   encryption_algorithm=serialization.NoEncryption())
    _write(paths["ca_key"], ca_key.private_bytes(**private), True)
    _write(paths["key"], key.private_bytes(**private), True)
    _write(paths["cert"], cert.public_bytes(pem) + ca.public_bytes(pem), False)
    _write(paths["ca"], ca.public_bytes(pem), False)
    return paths


def server_context(directory: str | os.PathLike) -> ssl.SSLContext:
    """TLS 1.3 minimum, the server certificate from ``directory``."""
    directory = Path(directory)
    cert, key = directory / CERT_FILE, directory / KEY_FILE
    if not cert.is_file() or not key.is_file():
        raise TlsError(f"no server certificate in {directory}; create one with: cc-backend --db DB tls init")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    try:
        ctx.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise TlsError(f"{cert}: cannot load the certificate/key: {exc}") from None
    return ctx
