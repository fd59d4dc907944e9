"""The embedded run (`make run`, oscar_shop.settings.local) shows shoppers the shop's own
error pages: no DEBUG unless asked for, so a mistyped URL never lists the URL patterns."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def local_settings(**env) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({'DEBUG': settings.DEBUG, "
        "'SHOP_SERVE_MEDIA': settings.SHOP_SERVE_MEDIA}))"
    )
    environment = {
        **{name: value for name, value in os.environ.items() if name != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "oscar_shop.settings.local",
        "DJANGO_DEBUG": "",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_embedded_run_has_no_debug_pages_and_serves_its_media():
    assert local_settings() == {"DEBUG": False, "SHOP_SERVE_MEDIA": True}


def test_debug_pages_when_asked_for():
    assert local_settings(DJANGO_DEBUG="1")["DEBUG"] is True
