"""The shop served by gunicorn with deploy/gunicorn.conf.py: it boots (preloaded app, gthread
workers, the redacting access logger), answers pages, and its access log is one key=value line
per request without the callback token.

Runs the test settings against the test database (SQLite file or PostgreSQL), so it needs no
service beyond the suite's own; production settings are covered by tests/unit/settings.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.helpers import database_url, free_port
from tests.unit.settings.production_env import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def fetch(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(url, data=data, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "oscar_shop.settings.test",
        "DATABASE_URL": database_url(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESS_LOG": str(access_log),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield base, access_log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_gunicorn_serves_the_shop_and_logs_requests_without_callback_secrets(gunicorn):
    base, access_log = gunicorn

    assert fetch(base + "/") == 200
    fetch(base + "/payments/stk/callback/Zq3x9Lk0Vw8Hr2TbY6cNe4Ju1Ms7A0aa/", data=b"{}")

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(access_log.read_text().splitlines()) < 2:
        time.sleep(0.2)
    home, callback = access_log.read_text().splitlines()[:2]
    assert 'method=GET path="/" query="" status=200 ' in home
    assert "duration_ms=" in home
    assert 'method=POST path="/payments/stk/callback/[redacted]/"' in callback
    assert "Zq3x9Lk0Vw8Hr2TbY6cNe4Ju1Ms7A0aa" not in access_log.read_text()
