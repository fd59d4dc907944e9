"""The simulator's own key pair, standing in for Safaricom's: the shop encrypts the API
operator's password with the certificate (``MPESA_CERTIFICATE_PATH`` points at it in the
simulator environment) and the simulator checks the SecurityCredential by decrypting it.

Made on first start under ``DARAJA_SIMULATOR_KEY_DIR`` (``var/daraja-simulator``, never
committed; a temporary folder in the tests), in one step that another process starting at
the same moment cannot interleave with: the pair is written to a folder of its own and
moved into place whole.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.conf import settings

CERTIFICATE = "certificate.pem"
PRIVATE_KEY = "private-key.pem"


def key_dir() -> Path:
    return Path(settings.DARAJA_SIMULATOR_KEY_DIR)


def key_pair_ensure() -> Path:
    """The folder holding the simulator's certificate and private key, made if missing."""
    folder = key_dir()
    if (folder / CERTIFICATE).exists() and (folder / PRIVATE_KEY).exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".daraja-keys-", dir=folder.parent))
    try:
        _write_key_pair(staging)
        if folder.exists():
            # An empty folder (a test's mkdtemp), or one a crash left half-written.
            for name in (CERTIFICATE, PRIVATE_KEY):
                os.replace(staging / name, folder / name)
        else:
            try:
                os.rename(staging, folder)
                staging = None
            except OSError:
                pass  # another process made it first: keep theirs
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def _write_key_pair(folder: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Daraja simulator")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    (folder / CERTIFICATE).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private = folder / PRIVATE_KEY
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private.chmod(0o600)


@lru_cache(maxsize=4)
def _private_key(path: str) -> rsa.RSAPrivateKey:
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)


def credential_password(credential: str) -> str | None:
    """The password inside a SecurityCredential, or None when it is not one this
    simulator's certificate encrypted (wrong certificate, not base64, garbled)."""
    try:
        encrypted = base64.b64decode(credential, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return None
    key = _private_key(str(key_pair_ensure() / PRIVATE_KEY))
    try:
        return key.decrypt(encrypted, padding.PKCS1v15()).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
