"""Oscar's order list and order page refuse a form they cannot act on with a message, and
change nothing, where Oscar's views answered 500 (each case found by the fuzzer)."""

import pytest
from django.urls import reverse
from oscar.core.loading import get_model

from tests.integration.order.conftest import order_state

pytestmark = pytest.mark.django_db

PaymentEventType = get_model("order", "PaymentEventType")
ShippingEventType = get_model("order", "ShippingEventType")

LINE = "LINE"


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    PaymentEventType.objects.get_or_create(code="paid", defaults={"name": "Paid"})
    ShippingEventType.objects.get_or_create(code="dispatched", defaults={"name": "Dispatched"})
    return client


def filled(data: dict, order) -> dict:
    line_id = str(order.lines.get().pk)
    return {
        key.replace(LINE, line_id): (line_id if value == LINE else value)
        for key, value in data.items()
    }


@pytest.mark.parametrize(
    "posted",
    [
        {"order_action": "create_order_payment_event", "payment_event_type": "paid"},
        {"order_action": "delete_note", "note_id": ""},
        {"line_action": "change_line_statuses", "new_status": "Cancelled", "selected_line": ""},
        {"line_action": "change_line_statuses", "new_status": "Cancelled", "selected_line": LINE},
        {
            "line_action": "change_line_statuses",
            "selected_line": LINE,
            f"selected_line_qty_{LINE}": "1",
        },
        {
            "line_action": "create_shipping_event",
            "selected_line": LINE,
            f"selected_line_qty_{LINE}": "1",
        },
        {
            "line_action": "create_shipping_event",
            "shipping_event_type": "dispatched",
            "selected_line": LINE,
            f"selected_line_qty_{LINE}": "1",
        },
        {
            "line_action": "create_payment_event",
            "selected_line": LINE,
            f"selected_line_qty_{LINE}": "1",
            "payment_event_type": "paid",
            "amount": "Infinity",
        },
    ],
    ids=[
        "order payment event without amount",
        "note that is no id",
        "line that is no id",
        "line without its quantity",
        "line status without the status",
        "shipping event without its type",
        "shipping event without its reference",
        "line payment event of Infinity",
    ],
)
def test_the_order_page_refuses_a_form_it_cannot_act_on(staff_client, pending_order, posted):
    before = order_state(pending_order)
    url = reverse("dashboard:order-detail", kwargs={"number": pending_order.number})

    response = staff_client.post(url, filled(posted, pending_order))

    assert response.status_code == 302
    assert order_state(pending_order) == before
    assert pending_order.payment_events.count() == 0


@pytest.mark.parametrize(
    "posted",
    [
        {"action": "change_order_statuses", "selected_order": "", "new_status": "Cancelled"},
        {"action": "change_order_statuses", "selected_order": "ORDER"},
    ],
    ids=["order that is no id", "status change without the status"],
)
def test_the_order_list_refuses_a_bulk_change_it_cannot_act_on(staff_client, pending_order, posted):
    before = order_state(pending_order)
    posted = {k: str(pending_order.pk) if v == "ORDER" else v for k, v in posted.items()}

    response = staff_client.post(reverse("dashboard:order-list"), posted)

    assert response.status_code == 302
    assert order_state(pending_order) == before


@pytest.mark.parametrize(
    "search",
    [
        {"order_number": "1" * 60_000},
        {"name": "A" * 60_000},
        {"order_number": "100\x00777"},
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01", "date_to": "0001-01-01"},
    ],
    ids=[
        "order number too long for SQLite",
        "name too long for SQLite",
        "NUL for PostgreSQL",
        "the calendar's last day",
        "the calendar's first day",
    ],
)
def test_the_order_list_answers_any_search(staff_client, pending_order, search):
    response = staff_client.get(reverse("dashboard:order-list"), search)

    assert response.status_code == 200
