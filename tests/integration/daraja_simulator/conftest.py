"""The shop's Daraja client talking to the simulator over real HTTP (Django's live server)."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
import requests
from django.conf import settings as django_settings
from django.db import connections

from apps.payment.mpesa.gateway import DarajaClient
from tests.helpers import wait_until


@dataclass
class Received:
    path: str
    headers: dict
    text: str

    @property
    def json(self) -> dict:
        return json.loads(self.text)


@dataclass
class CallbackReceiver:
    """A stand-in for the shop's callback endpoints: records every POST and answers 200."""

    base_url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: dict[str, dict] = field(default_factory=dict)  # path -> JSON answer
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base_url + path

    def to(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        wait_until(lambda: len(self.to(path)) >= count, timeout, f"{count} POST(s) to {path}")
        return self.to(path)


@pytest.fixture
def callback_receiver():
    receiver = CallbackReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            text = self.rfile.read(length).decode()
            with receiver.lock:
                receiver.received.append(Received(self.path, dict(self.headers), text))
            answer = receiver.answers.get(self.path, {"ResultCode": 0, "ResultDesc": "Accepted"})
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def simulator(live_server, settings):
    """The live server's base URL, with the shop's settings pointed at it.

    Its request threads live as long as the client keeps the connection alive; with
    persistent database connections they would still hold a session when the test database
    is dropped, so here each request closes its database connection when it ends.
    """
    settings.MPESA_BASE_URL = live_server.url
    database = connections.settings["default"]
    max_age = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    yield live_server.url
    database["CONN_MAX_AGE"] = max_age


@pytest.fixture
def daraja(simulator):
    with DarajaClient.from_settings() as client:
        yield client


@pytest.fixture
def simulator_credentials(monkeypatch):
    """Freeze what the simulator accepts, so a test can misconfigure only the shop.

    In the tests both sides read the same settings; at Safaricom they are two systems.
    """
    from apps.daraja_simulator import protocol

    names = ("MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET", "MPESA_SHORTCODE", "MPESA_PASSKEY")
    frozen = SimpleNamespace(**{name: getattr(django_settings, name) for name in names})
    monkeypatch.setattr(protocol, "settings", frozen)
    return frozen


@pytest.fixture
def sim_state(simulator):
    """Read the simulator's own debugging view of its STK pushes."""

    def read() -> dict[str, dict]:
        pushes = requests.get(f"{simulator}/daraja-sim/stk/", timeout=5).json()["pushes"]
        return {push["CheckoutRequestID"]: push for push in pushes}

    return read
