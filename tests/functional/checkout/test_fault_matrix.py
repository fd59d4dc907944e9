"""The fault matrix: what the customer sees and what the money records end up as when
Daraja misbehaves at checkout. Nothing paid is ever left unrecorded.

A small stand-in Daraja on a local port plays each failure over real HTTP (connection
refused, an answer slower than the read timeout, a proxy's HTML 502, refused credentials);
the shop's own callback endpoint, on the live server, takes any late callback.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.db import connection

from apps.payment.models import MpesaPaymentAttempt
from tests.helpers import database_url, free_port

from .conftest import (
    Order,
    debits,
    place_order_and_pay,
    to_payment_details,
    wait_until,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

Status = MpesaPaymentAttempt.Status

ACCEPTED = {
    "MerchantRequestID": "29115-34620561-1",
    "CheckoutRequestID": "ws_CO_STUB0001",
    "ResponseCode": "0",
    "ResponseDescription": "Success. Request accepted for processing",
    "CustomerMessage": "Success. Request accepted for processing",
}


class MisbehavingDaraja:
    def __init__(self):
        self.mode = "ok"
        self.pushes: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        daraja = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status, body, content_type="application/json"):
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):  # noqa: N802
                if daraja.mode == "token-refused":
                    return self._answer(
                        400,
                        {"errorCode": "400.008.01", "errorMessage": "Invalid Authentication"},
                    )
                return self._answer(200, {"access_token": "stub-token", "expires_in": "3599"})

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                daraja.pushes.append(body)
                if daraja.mode == "slow":
                    time.sleep(1.5)
                    return self._answer(200, ACCEPTED)
                if daraja.mode == "html-502":
                    return self._answer(
                        502, b"<html><body>502 Bad Gateway</body></html>", "text/html"
                    )
                return self._answer(200, ACCEPTED)

            def log_message(self, format, *args):
                pass

        return Handler

    def late_success_callback(self, amount):
        push = self.pushes[-1]
        body = {
            "Body": {
                "stkCallback": {
                    "MerchantRequestID": ACCEPTED["MerchantRequestID"],
                    "CheckoutRequestID": ACCEPTED["CheckoutRequestID"],
                    "ResultCode": 0,
                    "ResultDesc": "The service request is processed successfully.",
                    "CallbackMetadata": {
                        "Item": [
                            {"Name": "Amount", "Value": amount},
                            {"Name": "MpesaReceiptNumber", "Value": "QLATE12345"},
                            {"Name": "PhoneNumber", "Value": 254708374149},
                        ]
                    },
                }
            }
        }
        return requests.post(push["CallBackURL"], json=body, timeout=10)


@pytest.fixture
def daraja(live_server, settings):
    stub = MisbehavingDaraja()
    settings.MPESA_BASE_URL = stub.url
    settings.MPESA_CALLBACK_BASE_URL = live_server.url
    settings.MPESA_READ_TIMEOUT = 0.5
    yield stub
    stub.server.shutdown()


def assert_nothing_placed_and_basket_kept(app, catalogue):
    assert Order.objects.count() == 0
    assert catalogue.kettle.title in app.get("/basket/")


def test_daraja_unreachable_places_no_order_and_says_so(django_app, catalogue, daraja, settings):
    settings.MPESA_BASE_URL = f"http://127.0.0.1:{free_port()}"
    response = place_order_and_pay(django_app, to_payment_details(django_app, catalogue.kettle))

    assert response.status_code == 200
    assert "could not reach M-Pesa" in response
    assert MpesaPaymentAttempt.objects.get().status == Status.REFUSED
    assert_nothing_placed_and_basket_kept(django_app, catalogue)


def test_refused_credentials_place_no_order(django_app, catalogue, daraja):
    daraja.mode = "token-refused"
    response = place_order_and_pay(django_app, to_payment_details(django_app, catalogue.kettle))

    assert "M-Pesa payments are unavailable" in response
    assert daraja.pushes == []
    assert_nothing_placed_and_basket_kept(django_app, catalogue)


@pytest.mark.parametrize("mode", ["slow", "html-502"])
def test_an_unanswered_push_places_the_order_unconfirmed_and_a_late_callback_settles_it(
    django_app, catalogue, daraja, mode
):
    daraja.mode = mode
    response = place_order_and_pay(django_app, to_payment_details(django_app, catalogue.kettle))

    assert response.status_code == 302
    order = Order.objects.get()
    attempt = MpesaPaymentAttempt.objects.get()
    assert order.status == "Pending payment"
    assert attempt.status == Status.UNCONFIRMED
    waiting = response.follow()
    assert "did not confirm" in waiting and "Send the prompt again" in waiting
    time.sleep(1.6)  # let a slow answer arrive: the shop must not have re-sent anything
    assert len(daraja.pushes) == 1

    answer = daraja.late_success_callback(amount=float(attempt.amount))

    assert answer.status_code == 200
    wait_until(lambda: Order.objects.get().status == "Paid", what="order paid")
    attempt.refresh_from_db()
    assert attempt.receipt_number == "QLATE12345"
    assert debits(order).count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a dropped PostgreSQL connection needs PostgreSQL (CI runs it)",
)
def test_a_postgresql_connection_dropped_between_requests_is_replaced(catalogue, tmp_path):
    """A gunicorn worker keeps its connection between requests (CONN_MAX_AGE); when the
    database drops it, the health check replaces it instead of failing the next request."""
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings

    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "oscar_shop.settings.local",
        "DATABASE_URL": database_url(),
        "DJANGO_MEDIA_ROOT": django_settings.MEDIA_ROOT,
        "DJANGO_DEBUG": "false",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "oscar_shop.wsgi:application",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}{catalogue.kettle.get_absolute_url()}"
    try:
        wait_until(lambda: _answers(url), timeout=30, what="gunicorn to start")
        assert requests.get(url, timeout=10).status_code == 200
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1  # the worker's persistent connection

        assert requests.get(url, timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except (requests.ConnectionError, requests.Timeout):  # not up yet, or its first page slow
        return False
