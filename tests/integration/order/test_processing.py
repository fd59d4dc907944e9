"""The forked ``EventHandler``: Oscar's status changes go through the Paid gate, and
cancelling releases stock and flags the money an order holds for a refund."""

from decimal import Decimal

import pytest
from oscar.core.loading import get_class, get_model
from oscar.test.factories import UserFactory

from apps.payment.models import MpesaPaymentAttempt

from .conftest import NOT_PAID, order_state

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
EventHandler = get_class("order.processing", "EventHandler")
InvalidOrderStatus = get_class("order.exceptions", "InvalidOrderStatus")
PaymentError = get_class("payment.exceptions", "PaymentError")


def stock_allocated(order) -> list[int]:
    return [line.stockrecord.num_allocated for line in order.lines.select_related("stockrecord")]


@pytest.mark.parametrize("not_paid", NOT_PAID, indirect=True)
def test_oscars_status_change_refuses_paid_without_money(not_paid):
    before = order_state(not_paid)

    with pytest.raises(InvalidOrderStatus) as refused:
        EventHandler().handle_order_status_change(not_paid, "Paid", note_msg="Paid by hand")

    # Oscar's dashboard shows a PaymentError's message to staff (the order list catches
    # nothing else).
    assert isinstance(refused.value, PaymentError)
    assert "Mark paid with receipt" in str(refused.value)
    assert order_state(not_paid) == before


def test_a_paid_order_moves_on_with_oscars_note(paid_order):
    EventHandler().handle_order_status_change(paid_order, "Being processed", note_msg="Packing")

    assert Order.objects.get(pk=paid_order.pk).status == "Being processed"
    assert paid_order.notes.get().message == "Packing"


def test_cancelling_a_paid_order_flags_its_mpesa_money_for_a_refund(paid_order):
    clerk = UserFactory(is_staff=True)
    attempt = MpesaPaymentAttempt.objects.get(order=paid_order)
    assert stock_allocated(paid_order) == [1]

    EventHandler(user=clerk).handle_order_status_change(paid_order, "Cancelled")

    reason = "Order 100804 was cancelled holding KSh\xa01,250: refund"
    attempt.refresh_from_db()
    assert attempt.needs_attention and attempt.attention_reason == reason
    event = attempt.events.get(kind="needs_attention")
    assert event.message == reason and event.actor == clerk
    assert paid_order.notes.get().message == reason
    assert stock_allocated(paid_order) == [0]
    # The money stays recorded until staff refund it.
    assert paid_order.amount_received() == Decimal("1250")


def test_cancelling_a_part_paid_order_says_what_it_holds(part_paid_order):
    EventHandler().handle_order_status_change(part_paid_order, "Cancelled")

    assert part_paid_order.notes.get().message == (
        "Order 100803 was cancelled holding KSh\xa01,000: refund"
    )


@pytest.mark.parametrize("name", ["unpaid_order", "failed_order"])
def test_cancelling_an_order_without_money_releases_its_stock_and_flags_nothing(request, name):
    order = request.getfixturevalue(name)

    EventHandler().handle_order_status_change(order, "Cancelled")

    assert Order.objects.get(pk=order.pk).status == "Cancelled"
    assert stock_allocated(order) == [0]
    assert not order.notes.exists()
    assert not MpesaPaymentAttempt.objects.filter(order=order, needs_attention=True).exists()
