"""The web process dies between the STK push and the callback: the callback still settles
the order, because everything the callback needs is in the database, not in a process.

Real processes: the shop under gunicorn on one port, Daraja (the simulator) in another
gunicorn on another, both on their own SQLite file; the shop is killed with SIGKILL right
after the push and started again before Daraja calls back.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import free_port

from .conftest import wait_until
from .http_shopper import HttpShopper

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
CALLBACK_DELAY = 15.0


def manage(env, *args):
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start(env, port) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "oscar_shop.wsgi:application",
            "--workers",
            "1",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: master and workers die together
    )
    wait_until(lambda: _up(port), timeout=30, what=f"a server on port {port}")
    return process


def _up(port) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/basket/", timeout=10)
        return True
    except requests.RequestException:
        return False


@pytest.fixture
def shop_env(tmp_path):
    shop_port, daraja_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")} | {
        "DJANGO_SETTINGS_MODULE": "oscar_shop.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "MPESA_ENVIRONMENT": "simulator",
        "MPESA_BASE_URL": f"http://127.0.0.1:{daraja_port}",
        "MPESA_CALLBACK_BASE_URL": f"http://127.0.0.1:{shop_port}",
        "DARAJA_SIMULATOR_CALLBACK_DELAY": str(CALLBACK_DELAY),
        "SHOP_DOMAIN": f"127.0.0.1:{shop_port}",
    }
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_demo_shop")
    return env, shop_port, daraja_port


def test_the_callback_settles_the_order_after_the_web_process_was_killed(shop_env):
    env, shop_port, daraja_port = shop_env
    daraja = start(env, daraja_port)
    shop = start(env, shop_port)
    try:
        shopper = HttpShopper(f"http://127.0.0.1:{shop_port}")
        # A product that is delivered (the address step included), found by search.
        found = shopper.get("/search/?q=kettle")
        product_path = found.select_one(".product_pod a, article a")["href"]

        started = time.monotonic()
        waiting_path = shopper.check_out_as_guest(product_path, phone="0708374149")
        os.killpg(shop.pid, signal.SIGKILL)  # the master and its worker, no clean-up at all
        shop.wait(timeout=10)
        assert time.monotonic() - started < CALLBACK_DELAY, "too slow to beat the callback"

        shop = start(env, shop_port)
        assert time.monotonic() - started < CALLBACK_DELAY, "restarted after the callback"
        status_url = f"http://127.0.0.1:{shop_port}{waiting_path}status/"
        status = wait_until(
            lambda: (
                (s := shopper.session.get(status_url, timeout=10).json())["state"] == "paid" and s
            ),
            timeout=30,
            what="the order to be paid",
        )
        # Paid by the callback itself (a query would leave no receipt), and Daraja's side
        # saw its one delivery answered.
        assert status["receipt"]
        [push] = requests.get(f"http://127.0.0.1:{daraja_port}/daraja-sim/stk/", timeout=10).json()[
            "pushes"
        ]
        assert [c["status_code"] for c in push["callbacks"]] == [200]
    finally:
        for process in (shop, daraja):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
