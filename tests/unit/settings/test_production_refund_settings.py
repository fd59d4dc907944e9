"""Production with refunds on: the API operator and its credential, or no start."""

import pytest

from tests.unit.payment.mpesa.test_credential import certificate_file

from .production_env import load_production, production_settings


def test_refunds_are_off_unless_turned_on_and_then_need_nothing_more():
    settings = production_settings("MPESA_REFUNDS_ENABLED", "MPESA_B2C_SHORTCODE")
    assert settings == {"MPESA_REFUNDS_ENABLED": False, "MPESA_B2C_SHORTCODE": "4070001"}


@pytest.mark.parametrize(
    "missing", ["MPESA_INITIATOR_NAME", "MPESA_INITIATOR_PASSWORD", "MPESA_CERTIFICATE_PATH"]
)
def test_refunds_on_refuse_to_start_without_the_operator_and_its_credential(missing, tmp_path):
    environment = {
        "MPESA_REFUNDS_ENABLED": "true",
        "MPESA_INITIATOR_NAME": "apiop37",
        "MPESA_INITIATOR_PASSWORD": "Safaricom999!*!",
        "MPESA_CERTIFICATE_PATH": str(certificate_file(tmp_path)),
        missing: "",
    }
    result = load_production(**environment)
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_refunds_on_refuse_a_certificate_that_cannot_be_read(tmp_path):
    (tmp_path / "not-a-certificate.cer").write_text("hello")
    result = load_production(
        MPESA_REFUNDS_ENABLED="true",
        MPESA_INITIATOR_NAME="apiop37",
        MPESA_INITIATOR_PASSWORD="Safaricom999!*!",
        MPESA_CERTIFICATE_PATH=str(tmp_path / "not-a-certificate.cer"),
    )
    assert result.returncode != 0
    assert "MPESA_CERTIFICATE_PATH" in result.stderr and "not an X.509" in result.stderr


def test_refunds_on_start_with_a_complete_operator(tmp_path):
    settings = production_settings(
        "MPESA_REFUNDS_ENABLED",
        "MPESA_INITIATOR_NAME",
        MPESA_REFUNDS_ENABLED="true",
        MPESA_INITIATOR_NAME="apiop37",
        MPESA_INITIATOR_PASSWORD="Safaricom999!*!",
        MPESA_CERTIFICATE_PATH=str(certificate_file(tmp_path)),
    )
    assert settings == {"MPESA_REFUNDS_ENABLED": True, "MPESA_INITIATOR_NAME": "apiop37"}


def test_refunds_on_start_with_a_credential_encrypted_beforehand():
    settings = production_settings(
        "MPESA_SECURITY_CREDENTIAL",
        MPESA_REFUNDS_ENABLED="true",
        MPESA_INITIATOR_NAME="apiop37",
        MPESA_SECURITY_CREDENTIAL="c2VjcmV0",
    )
    assert settings == {"MPESA_SECURITY_CREDENTIAL": "c2VjcmV0"}
