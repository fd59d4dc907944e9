"""What a fuzzed request must leave alone, and a clean start for each example."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.test import Client
from oscar.core.loading import get_model

from apps.payment.models import MpesaPaymentAttempt

Order = get_model("order", "Order")
PaymentEvent = get_model("order", "PaymentEvent")
Source = get_model("payment", "Source")
Transaction = get_model("payment", "Transaction")


def money_snapshot() -> dict:
    """Every record that says what money an order is due or has received, and its status."""
    return {
        "orders": list(Order.objects.order_by("pk").values_list("number", "status")),
        "sources": list(
            Source.objects.order_by("pk").values_list(
                "order_id", "amount_allocated", "amount_debited", "amount_refunded"
            )
        ),
        "transactions": list(
            Transaction.objects.order_by("pk").values_list("source_id", "txn_type", "amount")
        ),
        "payment_events": list(
            PaymentEvent.objects.order_by("pk").values_list("order_id", "amount")
        ),
        "attempts": list(
            MpesaPaymentAttempt.objects.order_by("pk").values_list(
                "status", "receipt_number", "amount_paid", "order_id", "recorded_on_order"
            )
        ),
    }


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint that is rolled back: each example starts from the
    test's fixtures, whatever the one before it changed (sessions, baskets, lockouts)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def same_browser(client: Client) -> Client:
    """A new client holding ``client``'s cookies: the same session and basket, without the
    cookies an earlier example left (messages, a rotated CSRF token)."""
    browser = Client()
    for name, morsel in client.cookies.items():
        browser.cookies[name] = morsel.value
    return browser


def assert_no_server_error(response) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:500])


def assert_stays_on_site(response) -> None:
    """A redirect the fuzzed input may have chosen goes to this shop only."""
    if response.status_code in (301, 302, 303, 307, 308):
        location = response["Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
