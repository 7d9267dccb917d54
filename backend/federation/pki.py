"""TLS certificates and credentials of the federation's leaf links (a centre's link must not be joinable
by anyone on the LAN).

The hub keeps a federation CA and its leaf-port certificate in ``<state>/federation/pki`` (made on first
start with backend/tls.py), and issues every sub-centre a bundle ``pki/leaves/<id>/``:
ca.pem (the federation CA: the leaf trusts only it), cert.pem + key.pem (the leaf's client certificate,
CN=<id>), password (its leaf-link password). The operator copies that folder to the sub-centre and starts
it with ``--fed-tls-dir`` pointing at it. Operator-supplied files: ``--fed-tls-cert/--fed-tls-key/--fed-tls-ca``.

    python -m backend.federation.pki issue --pki DIR qx [more ids]   (re-issue or add a bundle by hand)
"""
from __future__ import annotations

import argparse
import datetime
import json
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from backend import tls
from backend.federation.transport import CENTRE_ID, FederationError

LEAVES = "leaves"
PASSWORDS = "leaf-passwords.json"  # hub: {centre: password}, 0600


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: ``cert`` + ``key`` (this side), ``ca`` (the CA the other side must be signed by)."""

    cert: Path
    key: Path
    ca: Path

    def check(self) -> "TlsFiles":
        for what, path in (("certificate", self.cert), ("key", self.key), ("CA", self.ca)):
            if not Path(path).is_file():
                raise FederationError(f"federation TLS {what} {path}: no such file")
        return self


def hub_pki(directory: Path, sans: list[str] | None = None) -> TlsFiles:
    """The hub's CA and leaf-port certificate in ``directory``, created if absent."""
    directory = Path(directory)
    if not (directory / tls.CA_FILE).is_file():
        tls.init(directory, sans or [], common="command-centre federation CA")
    return TlsFiles(directory / tls.CERT_FILE, directory / tls.KEY_FILE, directory / tls.CA_FILE).check()


def leaf_passwords(directory: Path) -> dict[str, str]:
    path = Path(directory) / PASSWORDS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise FederationError(f"{path}: unreadable ({exc})") from None
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def issue(directory: Path, centre: str, days: int = 825) -> Path:
    """A bundle for sub-centre ``centre`` (kept if it exists): client certificate signed by the federation
    CA, the CA, and a fresh link password (recorded in the hub's password file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if not CENTRE_ID.match(centre):
        raise FederationError(f"sub-centre id {centre!r}: expected lower-case letters, digits, _")
    directory = Path(directory)
    out = directory / LEAVES / centre
    passwords = leaf_passwords(directory)
    if (out / "cert.pem").is_file() and centre in passwords:
        return out
    ca_key = serialization.load_pem_private_key((directory / tls.CA_KEY).read_bytes(), None)
    ca = x509.load_pem_x509_certificate((directory / tls.CA_FILE).read_bytes())
    now = datetime.datetime.now(datetime.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(tls._name(centre)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    out.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    tls._write(out / "key.pem", key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()), True)
    tls._write(out / "cert.pem", cert.public_bytes(pem), False)
    tls._write(out / "ca.pem", ca.public_bytes(pem), False)
    password = secrets.token_urlsafe(24)
    tls._write(out / "password", password.encode(), True)
    passwords[centre] = password
    tls._write(directory / PASSWORDS, json.dumps(passwords, indent=2).encode(), True)
    return out


@dataclass(frozen=True)
class LeafBundle:
    """What a sub-centre needs to link: TLS files and its password."""

    files: TlsFiles
    password: str


def load_bundle(directory: Path, *, cert: str = "", key: str = "", ca: str = "") -> LeafBundle:
    directory = Path(directory)
    files = TlsFiles(Path(cert or directory / "cert.pem"), Path(key or directory / "key.pem"),
                     Path(ca or directory / "ca.pem")).check()
    try:
        password = (directory / "password").read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise FederationError(f"{directory / 'password'}: the leaf-link password is missing ({exc.strerror}); "
                              "copy the bundle the city issued (pki/leaves/<id>/)") from None
    if not password:
        raise FederationError(f"{directory / 'password'} is empty")
    return LeafBundle(files, password)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m backend.federation.pki")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("issue", help="issue (or show) the link bundle of sub-centres")
    p.add_argument("--pki", required=True, help="the hub's federation pki folder (<state>/federation/pki)")
    p.add_argument("centres", nargs="+")
    args = ap.parse_args(argv)
    try:
        hub_pki(Path(args.pki))
        for centre in args.centres:
            print(issue(Path(args.pki), centre))
    except FederationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
