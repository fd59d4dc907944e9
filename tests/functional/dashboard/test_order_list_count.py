"""Oscar's order list in the dashboard numbers its pages from the orders' counts per
status, kept for a few seconds (the overview reads the same), not by counting the listed
orders on each view; searches the counts cannot answer are counted as Oscar does, and
give the same totals. The same on PostgreSQL and SQLite."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from oscar.test.factories import create_order

from tests.integration.order.conftest import money_record

pytestmark = pytest.mark.django_db

LIST_URL = reverse("dashboard:order-list")


@pytest.fixture
def orders(db):
    placed = [create_order(number=str(100600 + n), status="Pending payment") for n in range(4)]
    for order in placed[:3]:
        money_record(order)  # Paid only with its money recorded
        order.set_status("Paid")
    return placed


def list_orders(client, params=None) -> tuple[int, list[str], list[str]]:
    """The list's total, its counts of the listed orders (Oscar's ``COUNT(*)``) and its
    counts per status."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST_URL, params or {})
    assert response.status_code == 200
    counts = [
        q["sql"] for q in captured if "COUNT(" in q["sql"] and 'FROM "order_order"' in q["sql"]
    ]
    per_status = [sql for sql in counts if "GROUP BY" in sql]
    listed = [sql for sql in counts if sql not in per_status]
    return response.context["paginator"].count, listed, per_status


@pytest.mark.parametrize(
    "params, total", [({}, 4), ({"status": "Paid"}, 3), ({"status": "Pending payment"}, 1)]
)
def test_all_orders_or_one_status_are_numbered_without_counting_the_orders(
    client, superuser, orders, params, total
):
    client.force_login(superuser)

    shown, counted, per_status = list_orders(client, params)

    assert shown == total
    assert counted == [] and len(per_status) == 1


def test_an_order_placed_shows_in_the_total_at_once(client, superuser, orders):
    client.force_login(superuser)
    create_order(number="100699", status="Pending payment")

    assert list_orders(client)[0] == 5
    assert list_orders(client, {"status": "Pending payment"})[0] == 2


def test_other_searches_count_the_orders_they_find(client, superuser, orders):
    client.force_login(superuser)

    today = timezone.localdate().isoformat()

    shown, counted, per_status = list_orders(client, {"date_from": today, "status": "Paid"})

    assert shown == 3
    assert len(counted) == 1 and per_status == []


def test_paging_within_the_bound_counts_the_orders_once(client, superuser, orders, settings):
    settings.SHOP_STAFF_TOTALS_CACHE_SECONDS = 5
    client.force_login(superuser)

    first = list_orders(client)
    again = list_orders(client, {"status": "Paid"})

    assert first[0] == 4 and len(first[2]) == 1
    assert again[0] == 3 and again[1] == [] and again[2] == []
