"""The waiting page's link (the page, its JSON and "Send the prompt again") works while the
order waits for its money and for MPESA_WAITING_LINK_DAYS after it is paid or cancelled;
then it answers 404 and shows nothing of the order (apps/payment/mpesa/waiting.py)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model

from apps.payment.mpesa import services
from apps.payment.mpesa.waiting import order_access_hash
from tests.integration.payment.conftest import (
    daraja,  # noqa: F401  (shared fixture)
    failure,
    initiate,
    success,
)

Order = get_model("order", "Order")
OrderStatusChange = get_model("order", "OrderStatusChange")

pytestmark = pytest.mark.usefixtures("daraja")  # Daraja's answers, scripted


@pytest.fixture(autouse=True)
def a_week(settings):
    settings.MPESA_WAITING_LINK_DAYS = 7


def link_answers(order) -> list[int]:
    """What the waiting page, its JSON and its resend answer to someone holding the link."""
    kwargs = {"order_number": order.number, "hash": order_access_hash(order.number)}
    client = Client()
    return [
        client.get(reverse("checkout:mpesa-wait", kwargs=kwargs)).status_code,
        client.get(reverse("checkout:mpesa-status", kwargs=kwargs)).status_code,
        client.post(
            reverse("checkout:mpesa-resend", kwargs=kwargs), {"phone": "0712345678"}
        ).status_code,
    ]


def settled_days_ago(order, days: float) -> None:
    """Move the order's settlement (its status change out of Pending payment) back."""
    moved = OrderStatusChange.objects.filter(order=order, old_status=services.ORDER_PENDING).update(
        date_created=timezone.now() - timedelta(days=days)
    )
    assert moved == 1


def pay(order, capture) -> None:
    attempt = initiate(order)
    with capture(execute=True):
        services.attempt_settle(attempt_id=attempt.pk, outcome=success(attempt))
    order.refresh_from_db()
    assert order.status == services.ORDER_PAID


def cancel(order) -> None:
    attempt = initiate(order)
    services.attempt_settle(attempt_id=attempt.pk, outcome=failure(attempt))
    assert services.order_cancel_unpaid(order_id=order.pk)


def test_a_fresh_link_works(pending_order):
    initiate(pending_order)

    assert link_answers(pending_order) == [200, 200, 302]


def test_a_paid_orders_link_works_for_the_days_set_then_answers_404(
    pending_order, django_capture_on_commit_callbacks
):
    pay(pending_order, django_capture_on_commit_callbacks)
    assert link_answers(pending_order) == [200, 200, 302]
    settled_days_ago(pending_order, 6.9)
    assert link_answers(pending_order)[:2] == [200, 200]

    settled_days_ago(pending_order, 8)

    assert link_answers(pending_order) == [404, 404, 404]


def test_a_cancelled_orders_link_answers_404_after_the_days_set(pending_order):
    cancel(pending_order)
    assert link_answers(pending_order)[:2] == [200, 200]

    settled_days_ago(pending_order, 8)

    assert link_answers(pending_order) == [404, 404, 404]


def test_an_expired_link_shows_nothing_of_the_order(
    pending_order, django_capture_on_commit_callbacks
):
    pay(pending_order, django_capture_on_commit_callbacks)
    settled_days_ago(pending_order, 8)
    kwargs = {"order_number": pending_order.number, "hash": order_access_hash(pending_order.number)}

    page = Client().get(reverse("checkout:mpesa-wait", kwargs=kwargs)).content.decode()
    status = Client().get(reverse("checkout:mpesa-status", kwargs=kwargs)).content.decode()

    for text in (page, status):
        for secret in ("NLJ7RT61SV", "678", "1,250", "Payment received"):
            assert secret not in text


def test_an_order_still_waiting_keeps_its_link_however_old(pending_order):
    initiate(pending_order)
    Order.objects.filter(pk=pending_order.pk).update(
        date_placed=timezone.now() - timedelta(days=30)
    )

    assert link_answers(pending_order) == [200, 200, 302]


def test_an_order_settled_without_a_recorded_change_counts_from_when_it_was_placed(pending_order):
    """An order imported or moved by hand has no status change to read."""
    initiate(pending_order)
    Order.objects.filter(pk=pending_order.pk).update(
        status=services.ORDER_CANCELLED, date_placed=timezone.now() - timedelta(days=8)
    )

    assert link_answers(pending_order) == [404, 404, 404]
