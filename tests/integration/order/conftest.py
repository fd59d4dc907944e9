"""Orders in each money state the Paid gate tells apart: nothing received, a failed
M-Pesa prompt, a part payment, paid in full through the payment service."""

from decimal import Decimal

import pytest
from oscar.core.loading import get_model

from apps.payment.mpesa import services
from tests.integration.payment import conftest as payments
from tests.integration.payment.conftest import failure, initiate, place_pending_order, success

Order = get_model("order", "Order")
OrderStatusChange = get_model("order", "OrderStatusChange")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
Transaction = get_model("payment", "Transaction")

# The scripted Daraja of the payment services' tests (pytest finds a fixture by its name).
daraja = payments.daraja

#: The money states an order must not be made Paid in by hand (fixture names).
NOT_PAID = ["unpaid_order", "failed_order", "part_paid_order"]


def money_record(order, amount: Decimal | None = None, reference: str = "NLJ7RT61SV"):
    """Money debited on the order as Oscar's records keep it (a Source and its Transaction
    rows), ``amount`` shillings or the whole amount due, without the payment service."""
    amount = order.amount_due if amount is None else Decimal(amount)
    source_type, _created = SourceType.objects.get_or_create(
        code=services.common.SOURCE_TYPE_CODE, defaults={"name": services.common.SOURCE_TYPE_NAME}
    )
    source = Source.objects.create(
        order=order,
        source_type=source_type,
        currency=order.currency,
        amount_allocated=order.amount_due,
        amount_debited=amount,
    )
    Transaction.objects.create(
        source=source, txn_type=Transaction.AUTHORISE, amount=order.amount_due, reference=reference
    )
    Transaction.objects.create(
        source=source, txn_type=Transaction.DEBIT, amount=amount, reference=reference
    )
    return source


def order_state(order) -> dict:
    """Everything a status change could touch, read from the database."""
    order = Order.objects.get(pk=order.pk)
    return {
        "status": order.status,
        "lines": list(order.lines.order_by("pk").values_list("pk", "status", "num_allocated")),
        "status_changes": list(
            OrderStatusChange.objects.filter(order=order).values_list("old_status", "new_status")
        ),
        "sources": list(
            order.sources.order_by("pk").values_list(
                "amount_allocated", "amount_debited", "amount_refunded"
            )
        ),
        "transactions": Transaction.objects.filter(source__order=order).count(),
        "payment_events": order.payment_events.count(),
        "notes": order.notes.count(),
    }


@pytest.fixture
def unpaid_order(db):
    """Waiting for KSh 1,250, its M-Pesa source allocated, nothing received."""
    return place_pending_order("100801")


@pytest.fixture
def failed_order(db, daraja):
    """Its M-Pesa prompt was sent and the customer cancelled it."""
    order = place_pending_order("100802")
    attempt = initiate(order)
    services.attempt_settle(attempt_id=attempt.pk, outcome=failure(attempt))
    return order


@pytest.fixture
def part_paid_order(db):
    """KSh 1,000 of its KSh 1,250 debited on a payment source."""
    order = place_pending_order("100803", with_source=False)
    money_record(order, Decimal("1000"))
    return order


@pytest.fixture
def paid_order(db, daraja, django_capture_on_commit_callbacks):
    """Paid in full through the payment service, by an STK prompt (receipt NLJ7RT61SV)."""
    order = place_pending_order("100804")
    attempt = initiate(order)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_settle(attempt_id=attempt.pk, outcome=success(attempt))
    order.refresh_from_db()
    assert order.status == "Paid"
    return order


@pytest.fixture
def not_paid(request):
    """One of the orders in ``NOT_PAID``, by fixture name (``indirect`` parametrisation)."""
    return request.getfixturevalue(request.param)
