"""The SecurityCredential Daraja asks of an API operator ("initiator"): the operator's
password encrypted with the public key in Safaricom's certificate for the environment
(RSA, PKCS #1 v1.5 padding), in base64.

Safaricom publishes one certificate for the sandbox and one for production (Daraja
portal, "Getting started"); the shop reads the one ``MPESA_CERTIFICATE_PATH`` names, PEM or
DER. The simulator makes a key pair of its own and checks the credential by decrypting it.
The encryption is the ``cryptography`` package's, never hand-made; the password is never
logged.
"""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings


class CredentialError(Exception):
    """The credential cannot be made: no certificate, an unreadable one, no password."""


def load_certificate(path: str | Path) -> x509.Certificate:
    """Safaricom's certificate at ``path`` (PEM, as the portal serves it, or DER)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CredentialError(f"cannot read the certificate {path}: {exc.strerror}") from exc
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            certificate = x509.load_pem_x509_certificate(data)
        else:
            certificate = x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise CredentialError(f"{path} is not an X.509 certificate") from exc
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise CredentialError(f"{path} does not hold an RSA public key")
    return certificate


def security_credential(password: str, certificate: x509.Certificate) -> str:
    """``password`` encrypted with the certificate's RSA key, base64: Daraja's
    SecurityCredential. RSA with random padding: a new value each call, all valid."""
    if not password:
        raise CredentialError("the initiator password is empty")
    public_key = certificate.public_key()
    encrypted = public_key.encrypt(password.encode("utf-8"), padding.PKCS1v15())
    return base64.b64encode(encrypted).decode("ascii")


def security_credential_from_settings() -> str:
    """The credential for the configured operator: ``MPESA_SECURITY_CREDENTIAL`` as given
    (encrypted already, e.g. on the portal's test-credentials page), else
    ``MPESA_INITIATOR_PASSWORD`` encrypted with ``MPESA_CERTIFICATE_PATH``."""
    if settings.MPESA_SECURITY_CREDENTIAL:
        return settings.MPESA_SECURITY_CREDENTIAL
    if not settings.MPESA_CERTIFICATE_PATH:
        raise CredentialError("MPESA_CERTIFICATE_PATH is not set")
    return security_credential(
        settings.MPESA_INITIATOR_PASSWORD, load_certificate(settings.MPESA_CERTIFICATE_PATH)
    )
