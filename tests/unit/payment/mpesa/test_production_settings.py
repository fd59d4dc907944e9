"""Production settings refuse to start with M-Pesa settings that would fail at the first payment.

Each case imports the production settings in a fresh interpreter with a controlled environment
(variables set to "" count as missing, and win over any .env file).
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]

COMPLETE = {
    "DJANGO_SECRET_KEY": "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "shop.example.co.ke",
    "DJANGO_DEBUG": "false",
    # What production needs besides M-Pesa (nothing here is connected to on import).
    "DATABASE_URL": "postgres://shop@127.0.0.1:5432/shop",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_EMAIL_HOST": "smtp.example.co.ke",
    "DJANGO_DEFAULT_FROM_EMAIL": "Duka <shop@example.co.ke>",
    "MPESA_ENVIRONMENT": "production",
    "MPESA_BASE_URL": "",
    "MPESA_CONSUMER_KEY": "live-key",
    "MPESA_CONSUMER_SECRET": "live-secret",
    "MPESA_SHORTCODE": "4070001",
    "MPESA_PASSKEY": "live-passkey",
    "MPESA_TRANSACTION_TYPE": "CustomerPayBillOnline",
    "MPESA_TILL_NUMBER": "",
    "MPESA_CALLBACK_BASE_URL": "https://shop.example.co.ke",
    "MPESA_C2B_PATH_SECRET": "9c1d7e55aa",
}


def load_production(**overrides: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", **COMPLETE, **overrides}
    code = (
        "import oscar_shop.settings.production as s; "
        "print(s.MPESA_BASE_URL, s.MPESA_ENVIRONMENT, "
        "'apps.daraja_simulator.apps.DarajaSimulatorConfig' in s.INSTALLED_APPS)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_complete_settings_start_with_the_live_api_and_no_simulator():
    result = load_production()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["https://api.safaricom.co.ke", "production", "False"]


def test_sandbox_is_allowed_for_a_staging_site():
    result = load_production(MPESA_ENVIRONMENT="sandbox")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "https://sandbox.safaricom.co.ke"


@pytest.mark.parametrize(
    "missing",
    [
        "MPESA_CONSUMER_KEY",
        "MPESA_CONSUMER_SECRET",
        "MPESA_SHORTCODE",
        "MPESA_PASSKEY",
        "MPESA_CALLBACK_BASE_URL",
        "MPESA_C2B_PATH_SECRET",
    ],
)
def test_refuses_to_start_without_an_mpesa_credential(missing):
    result = load_production(**{missing: ""})
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_refuses_a_callback_base_that_is_not_https():
    result = load_production(MPESA_CALLBACK_BASE_URL="http://shop.example.co.ke")
    assert result.returncode != 0
    assert "MPESA_CALLBACK_BASE_URL must be https://" in result.stderr


def test_refuses_a_callback_base_with_a_word_safaricom_rejects():
    result = load_production(MPESA_CALLBACK_BASE_URL="https://mpesa-shop.example.co.ke")
    assert result.returncode != 0
    assert "mpesa" in result.stderr


def test_refuses_a_c2b_path_secret_that_spells_a_refused_word():
    result = load_production(MPESA_C2B_PATH_SECRET="x7SqLk2")
    assert result.returncode != 0
    assert "MPESA_C2B_PATH_SECRET spells a word" in result.stderr


def test_refuses_the_simulator():
    result = load_production(MPESA_ENVIRONMENT="simulator")
    assert result.returncode != 0
    assert "simulator is for local runs" in result.stderr


def test_buy_goods_needs_the_till_number():
    result = load_production(MPESA_TRANSACTION_TYPE="CustomerBuyGoodsOnline")
    assert result.returncode != 0
    assert "MPESA_TILL_NUMBER must be set in production" in result.stderr
    ok = load_production(MPESA_TRANSACTION_TYPE="CustomerBuyGoodsOnline", MPESA_TILL_NUMBER="5544")
    assert ok.returncode == 0, ok.stderr


def test_an_unknown_environment_is_refused_everywhere():
    result = load_production(MPESA_ENVIRONMENT="live")
    assert result.returncode != 0
    assert "MPESA_ENVIRONMENT must be one of" in result.stderr
