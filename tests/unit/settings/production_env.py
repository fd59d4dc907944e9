"""Run the production settings in a fresh interpreter with the environment a real server sets.

Settings are read once per process, so each case starts its own. Every variable production
reads is given: a value, or "" for "the default" — which also shields the case from a
developer's .env file (base.py never overwrites a variable that is already set).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "oscar_shop.settings.production",
    "DJANGO_SECRET_KEY": "q9V-2mZt7wLx0Rk4Jp8Hs3Nd6Fb1Gc5Ye9Ua2Ti7Ko4Wr8Qe3Mn6Pz1Xv5Bl0Cj",
    "DJANGO_ALLOWED_HOSTS": "shop.example.co.ke,.shop.example.co.ke",
    "DJANGO_DEBUG": "",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "",
    "DJANGO_SECURE_SSL_REDIRECT": "",
    "DJANGO_SECURE_HSTS_SECONDS": "",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "",
    "DJANGO_SECURE_HSTS_PRELOAD": "",
    "DATABASE_URL": "postgres://shop:db-password@db.internal:5432/shop",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "DJANGO_STATIC_ROOT": "/srv/oscar-shop/staticfiles",
    "DJANGO_MEDIA_ROOT": "/var/lib/oscar-shop/media",
    "DJANGO_EMAIL_BACKEND": "",
    "DJANGO_EMAIL_HOST": "smtp.example.co.ke",
    "DJANGO_EMAIL_PORT": "",
    "DJANGO_EMAIL_HOST_USER": "orders@example.co.ke",
    "DJANGO_EMAIL_HOST_PASSWORD": "smtp-password",
    "DJANGO_EMAIL_USE_TLS": "",
    "DJANGO_EMAIL_USE_SSL": "",
    "DJANGO_EMAIL_TIMEOUT": "",
    "DJANGO_DEFAULT_FROM_EMAIL": "Duka la Nyumbani <orders@example.co.ke>",
    "LOG_LEVEL": "",
    "SHOP_URL_SCHEME": "https",
    "SHOP_DOMAIN": "shop.example.co.ke",
    "SHOP_BENCH_CEILING": "",
    "MPESA_ENVIRONMENT": "production",
    "MPESA_BASE_URL": "",
    "MPESA_CONSUMER_KEY": "live-consumer-key",
    "MPESA_CONSUMER_SECRET": "live-consumer-secret",
    "MPESA_SHORTCODE": "4070001",
    "MPESA_PASSKEY": "live-passkey",
    "MPESA_TRANSACTION_TYPE": "CustomerPayBillOnline",
    "MPESA_TILL_NUMBER": "",
    "MPESA_CALLBACK_BASE_URL": "https://shop.example.co.ke",
    "MPESA_C2B_PATH_SECRET": "5f0c2a9e7b41d8c3",
    "MPESA_REFUNDS_ENABLED": "",
    "MPESA_INITIATOR_NAME": "",
    "MPESA_INITIATOR_PASSWORD": "",
    "MPESA_SECURITY_CREDENTIAL": "",
    "MPESA_CERTIFICATE_PATH": "",
    "MPESA_B2C_SHORTCODE": "",
}

_DUMP = (
    "import importlib, json, sys; "
    "s = importlib.import_module('oscar_shop.settings.production'); "
    "print(json.dumps({name: getattr(s, name) for name in sys.argv[1:]}, default=str))"
)


def production_process(args: list[str], **overrides: str | None) -> subprocess.CompletedProcess:
    """Run ``python <args>`` with the production environment plus ``overrides`` (None: unset)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **PRODUCTION_ENV, **overrides}
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def load_production(*names: str, **overrides: str | None) -> subprocess.CompletedProcess:
    """Import the production settings; stdout is a JSON object of the settings ``names``."""
    return production_process(["-c", _DUMP, *names], **overrides)


def production_settings(*names: str, **overrides: str | None) -> dict[str, Any]:
    result = load_production(*names, **overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
