"""The SecurityCredential: the operator's password encrypted with the certificate's RSA key."""

import base64
import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from apps.payment.mpesa.credential import (
    CredentialError,
    load_certificate,
    security_credential,
    security_credential_from_settings,
)

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(key=_KEY) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sandbox.safaricom.co.ke")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def certificate_file(folder: Path, encoding=serialization.Encoding.PEM) -> Path:
    """A certificate like Safaricom's for the environment (PEM by default), in ``folder``."""
    path = folder / ("certificate.cer" if encoding == serialization.Encoding.PEM else "cert.der")
    path.write_bytes(_certificate().public_bytes(encoding))
    return path


@pytest.mark.parametrize("encoding", [serialization.Encoding.PEM, serialization.Encoding.DER])
def test_the_password_is_encrypted_so_only_the_private_key_reads_it(tmp_path, encoding):
    certificate = load_certificate(certificate_file(tmp_path, encoding))

    credential = security_credential("Safaricom999!*!", certificate)

    encrypted = base64.b64decode(credential, validate=True)
    assert len(encrypted) == 256  # one RSA-2048 block
    assert _KEY.decrypt(encrypted, padding.PKCS1v15()) == b"Safaricom999!*!"
    assert security_credential("Safaricom999!*!", certificate) != credential  # random padding


def test_an_unreadable_or_missing_certificate_is_refused_by_name(tmp_path):
    (tmp_path / "junk.cer").write_text("-----BEGIN CERTIFICATE-----\nnope\n")
    with pytest.raises(CredentialError, match="not an X.509 certificate"):
        load_certificate(tmp_path / "junk.cer")
    with pytest.raises(CredentialError, match="cannot read the certificate"):
        load_certificate(tmp_path / "missing.cer")
    with pytest.raises(CredentialError, match="password is empty"):
        security_credential("", load_certificate(certificate_file(tmp_path)))


def test_settings_give_a_ready_credential_or_the_password_and_certificate(tmp_path, settings):
    settings.MPESA_SECURITY_CREDENTIAL = ""
    settings.MPESA_INITIATOR_PASSWORD = "Safaricom999!*!"
    settings.MPESA_CERTIFICATE_PATH = str(certificate_file(tmp_path))
    encrypted = base64.b64decode(security_credential_from_settings())
    assert _KEY.decrypt(encrypted, padding.PKCS1v15()) == b"Safaricom999!*!"

    settings.MPESA_SECURITY_CREDENTIAL = "from-the-portal=="
    assert security_credential_from_settings() == "from-the-portal=="

    settings.MPESA_SECURITY_CREDENTIAL = ""
    settings.MPESA_CERTIFICATE_PATH = ""
    with pytest.raises(CredentialError, match="MPESA_CERTIFICATE_PATH"):
        security_credential_from_settings()
