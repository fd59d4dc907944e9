"""The simulator exists only when MPESA_ENVIRONMENT=simulator, at Daraja's own root paths."""

import os
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.urls import resolve

ROOT = Path(__file__).resolve().parents[3]
DARAJA_PATHS = [
    "/oauth/v1/generate",
    "/mpesa/stkpush/v1/processrequest",
    "/mpesa/stkpushquery/v1/query",
    "/mpesa/c2b/v2/registerurl",
    "/mpesa/c2b/v2/simulate",
]


def test_simulator_answers_at_darajas_paths_from_the_root_of_the_host():
    assert apps.is_installed("apps.daraja_simulator")
    for path in DARAJA_PATHS:
        assert resolve(path).namespace == "daraja_simulator"
    assert resolve("/daraja-sim/phone/").url_name == "phone"
    assert resolve("/daraja-sim/stk/").url_name == "stk-list"


def test_simulator_is_neither_installed_nor_routed_outside_simulator_mode():
    code = (
        "import django; django.setup()\n"
        "from django.apps import apps\n"
        "from django.urls import Resolver404, resolve\n"
        "assert not apps.is_installed('apps.daraja_simulator')\n"
        f"for path in {DARAJA_PATHS + ['/daraja-sim/phone/']!r}:\n"
        "    try:\n"
        "        resolve(path)\n"
        "    except Resolver404:\n"
        "        continue\n"
        "    raise SystemExit(f'{path} is routed')\n"
        "print('absent')\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "oscar_shop.settings.test",
        "MPESA_ENVIRONMENT": "sandbox",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "absent"
