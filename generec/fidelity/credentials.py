"""The signing credentials for Content Credentials: a self-made ES256 CA and a signing leaf.

Made once, on first use, with `cryptography`:

    <data>/keys/                      mode 0700, never served
        provenance-ca.key             the CA's private key (0600): signs a new leaf if ever needed
        provenance-signer.key         the leaf's private key (0600): signs every manifest
        provenance-chain.pem          leaf + CA certificates, what the C2PA signer sends
    <data>/public/provenance-chain.pem   the same chain, for anyone who verifies our files

The leaf has digitalSignature and the emailProtection EKU, as C2PA's certificate profile asks.
No verifier trusts the root out of the box, so readers report `signingCredential.untrusted`
until they add `public/provenance-chain.pem` to their trust anchors.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

CA_KEY, LEAF_KEY, CHAIN = "provenance-ca.key", "provenance-signer.key", "provenance-chain.pem"
YEARS = 10   # no timestamp authority is reachable, so the leaf must outlive the files it signs


@dataclass(frozen=True)
class Credentials:
    chain_pem: bytes       # leaf first, then the CA
    key_pem: bytes         # the leaf's private key (PKCS#8)
    leaf_serial: str       # decimal, as C2PA readers report `cert_serial_number`


def _data_dir(settings_or_data_dir) -> Path:
    return Path(getattr(settings_or_data_dir, "data_dir", settings_or_data_dir))


def keys_dir(settings_or_data_dir) -> Path:
    return _data_dir(settings_or_data_dir) / "keys"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def _make(folder: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "GeneRec"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    until = now + dt.timedelta(days=365 * YEARS)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = name(f"GeneRec provenance root {os.urandom(4).hex()}")
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(until)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name("GeneRec content signer")).issuer_name(ca_name)
            .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(until)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    pkcs8 = dict(encoding=pem, format=serialization.PrivateFormat.PKCS8, encryption_algorithm=serialization.NoEncryption())
    _write_private(folder / CA_KEY, ca_key.private_bytes(**pkcs8))
    _write_private(folder / LEAF_KEY, leaf_key.private_bytes(**pkcs8))
    (folder / CHAIN).write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))   # written last: its presence means "complete"


def ensure(settings_or_data_dir) -> Path:
    """The keys folder, with a complete chain in it (made under a lock on first use)."""
    folder = keys_dir(settings_or_data_dir)
    if (folder / CHAIN).exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # two processes starting at once make one chain, not two
        if not (folder / CHAIN).exists():
            _make(folder)
    return folder


def load(settings_or_data_dir) -> Credentials:
    from cryptography import x509

    folder = ensure(settings_or_data_dir)
    chain = (folder / CHAIN).read_bytes()
    leaf = x509.load_pem_x509_certificates(chain)[0]
    return Credentials(chain, (folder / LEAF_KEY).read_bytes(), str(leaf.serial_number))


def our_serial(settings_or_data_dir) -> str | None:
    """The serial of this install's signing certificate, or None before any was made (never makes one)."""
    from cryptography import x509

    path = keys_dir(settings_or_data_dir) / CHAIN
    return str(x509.load_pem_x509_certificates(path.read_bytes())[0].serial_number) if path.exists() else None


def public_chain(settings_or_data_dir) -> Path:
    """`<data>/public/provenance-chain.pem` (leaf + CA, world-readable), made if missing."""
    src = ensure(settings_or_data_dir) / CHAIN
    out = _data_dir(settings_or_data_dir) / "public" / CHAIN
    if not out.exists() or out.read_bytes() != src.read_bytes():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + f".{os.getpid()}.tmp")
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    return out
