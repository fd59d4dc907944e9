"""Checkout flows against the Daraja simulator over real HTTP.

The shop's pages are driven in-process (WebTest); every Daraja call goes over HTTP to the
simulator served by Django's live server, and the simulator's callbacks come back over HTTP
to the shop's callback URL on that same server.
"""

from functools import partial

import pytest
from django.core import mail
from django.core.management import call_command
from oscar.core.loading import get_model

from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa.audit import books_audit
from apps.payment.mpesa.gateway import DarajaClient
from tests import helpers
from tests.functional.storefront.conftest import catalogue  # noqa: F401  (shared fixture)
from tests.functional.storefront.test_guest_checkout import (
    add_to_basket,
    fill_kenyan_address,
    give_guest_email,
)
from tests.integration.payment.conftest import pending_order  # noqa: F401  (shared fixture)

Order = get_model("order", "Order")
Transaction = get_model("payment", "Transaction")

SUCCESS = "0708374149"


@pytest.fixture
def daraja_simulator(live_server, settings):
    settings.MPESA_BASE_URL = live_server.url
    settings.MPESA_CALLBACK_BASE_URL = live_server.url
    settings.MPESA_QUERY_AFTER_SECONDS = 30
    settings.MPESA_RESEND_SPACING_SECONDS = 0
    return live_server


# Whatever a flow or a fault did, the books balance after it (apps/payment/mpesa/audit.py).
BOOKS_CHECKED_AFTER = {
    "test_fault_matrix",
    "test_mpesa_checkout",
    "test_paybill",
    "test_part_payments",
    "test_refunds",
}


@pytest.fixture(autouse=True)
def books_balance_after_each_flow(request):
    yield
    module = request.module.__name__.rsplit(".", 1)[-1]
    if module in BOOKS_CHECKED_AFTER and request.node.get_closest_marker("django_db"):
        report = books_audit(listed=None)
        assert report.ok, "\n".join(breach.message for breach in report.breaches)


# Checkout flows wait on the simulator, the shop and the mail: 15 s unless told otherwise.
wait_until = partial(helpers.wait_until, timeout=15.0)


def wait_for_attempt(order_number: str, *statuses) -> MpesaPaymentAttempt:
    def settled():
        return (
            MpesaPaymentAttempt.objects.filter(order_number=order_number, status__in=statuses)
            .order_by("-created_at")
            .first()
        )

    return wait_until(settled, what=f"an attempt in {statuses}")


def to_payment_details(app, product, shipping=True):
    add_to_basket(app, product)
    response = give_guest_email(app) if shipping is not None else app.get("/checkout/")
    while response.status_code == 302:
        response = response.follow()
    if response.request.path == "/checkout/shipping-address/":
        response = fill_kenyan_address(response).follow()
    if response.request.path == "/checkout/shipping-method/":
        form = next(f for f in response.forms.values() if "method_code" in f.fields)
        response = form.submit().maybe_follow()
    assert response.request.path == "/checkout/payment-details/", response.request.path
    return response


def place_order_and_pay(app, payment_page, phone=SUCCESS):
    form = payment_page.forms["mpesa_phone_form"]
    form["phone"] = phone
    preview = form.submit()
    assert preview.status_code == 200, preview.text[:500]
    assert "Place order and pay" in preview
    return preview.forms["place_order_form"].submit()


def debits(order):
    return Transaction.objects.filter(source__order=order, txn_type=Transaction.DEBIT)


def emails_to(address: str):
    return [m for m in mail.outbox if address in m.to]


# --- Paybill (C2B) -----------------------------------------------------------------

PAYER = "0708374149"


@pytest.fixture
def paybill(daraja_simulator, settings):
    """Register the shop's C2B URLs with the simulator, as an operator would."""

    def register(validation: bool = True):
        args = []
        if not validation:
            # External validation is off unless Safaricom enables it: an unreachable
            # validation URL with ResponseType "Completed" goes straight to confirmation.
            args = ["--validation-url", daraja_simulator.url + "/payments/not-validated/"]
        call_command("mpesa_register_c2b", *args, stdout=open("/dev/null", "w"))
        return DarajaClient.from_settings()

    return register


def pay_by_paybill(client, amount, account):
    client.c2b_simulate(amount=amount, msisdn=PAYER, bill_ref_number=account)
