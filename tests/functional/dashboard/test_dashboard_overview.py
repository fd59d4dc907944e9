"""The dashboard's overview shows the shop's totals reading every order once: the
all-time figures are one count per status and one count of the lines, the last day's
come from that day's orders; the figures are the ones Oscar's own overview computes, but
for revenue, which counts paid orders only (tests/functional/dashboard/test_revenue.py).
The same on PostgreSQL and SQLite."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from oscar.apps.dashboard.views import IndexView as OscarIndexView
from oscar.core.loading import get_model
from oscar.test.factories import create_order

from tests.integration.order.conftest import money_record

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db

COMPARED = [
    "total_orders_last_day",
    "total_lines_last_day",
    "total_orders",
    "total_lines",
    "total_customers",
    "total_products",
]
# Queries that read every order or every order line; the last day's (date_placed > ...)
# are not among them.
WHOLE_TABLE = ('FROM "order_order"', 'FROM "order_line"')


@pytest.fixture
def orders(db):
    placed = []
    for n in range(5):
        order = create_order(number=str(100700 + n), status="Pending payment")
        placed.append(order)
    # Two of them older than a day: in the totals, not in the last day's figures.
    Order.objects.filter(pk__in=[placed[0].pk, placed[1].pk]).update(
        date_placed=timezone.now() - timedelta(days=3)
    )
    money_record(placed[2])  # Paid only with its money recorded
    placed[2].set_status("Paid")
    return placed


def oscar_figures(request_user) -> dict:
    view = OscarIndexView()
    view.request = type("Request", (), {"user": request_user})()
    return view.get_stats()


def test_the_overview_shows_oscars_figures_reading_every_order_once(client, superuser, orders):
    client.force_login(superuser)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard:index"))

    assert response.status_code == 200
    expected = oscar_figures(superuser)
    for name in COMPARED:
        assert response.context[name] == expected[name], name
    assert response.context["total_orders"] == 5 and response.context["total_orders_last_day"] == 3
    assert response.context["total_lines"] == 5
    assert response.context["total_revenue"] == orders[2].total_incl_tax
    assert sorted(
        (row["status"], row["freq"]) for row in response.context["order_status_breakdown"]
    ) == [
        ("Paid", 1),
        ("Pending payment", 4),
    ]
    whole_table = [
        q["sql"]
        for q in captured
        if any(table in q["sql"] for table in WHOLE_TABLE)
        and "date_placed" not in q["sql"]
        and "orders__isnull" not in q["sql"]
        and "auth_user" not in q["sql"]
    ]
    # Oscar reads the orders for their number, their value and their statuses, and
    # the lines for theirs: here one query per table.
    assert len(whole_table) == 2, whole_table
    assert "GROUP BY" in whole_table[0] and 'FROM "order_order"' in whole_table[0]
    assert 'FROM "order_line"' in whole_table[1]


def test_an_order_placed_shows_in_the_overview_at_once(client, superuser, orders):
    client.force_login(superuser)
    client.get(reverse("dashboard:index"))
    new = create_order(number="100799", status="Pending payment")

    response = client.get(reverse("dashboard:index"))

    assert response.context["total_orders"] == 6
    assert response.context["total_orders_last_day"] == 4
    assert response.context["total_lines"] == 6
    assert response.context["revenue"].awaiting == (
        sum(o.total_incl_tax for o in orders if o.status == "Pending payment") + new.total_incl_tax
    )
    assert response.context["revenue_last_day"].awaiting_orders == 3
    assert response.context["total_revenue_last_day"] == orders[2].total_incl_tax


def test_the_all_time_figures_are_kept_for_the_bound(client, superuser, orders, settings):
    # A bound long enough for the next view to fall within it on a busy CI machine.
    settings.SHOP_STAFF_TOTALS_CACHE_SECONDS = 3
    client.force_login(superuser)
    client.get(reverse("dashboard:index"))
    kept_at = time.monotonic()
    create_order(number="100798", status="Pending payment")

    within_the_bound = client.get(reverse("dashboard:index"))
    assert time.monotonic() - kept_at < 3, "the machine was too slow to view within the bound"
    time.sleep(3.2)
    after = client.get(reverse("dashboard:index"))

    assert within_the_bound.context["total_orders"] == 5
    assert within_the_bound.context["total_orders_last_day"] == 4  # read on every view
    assert after.context["total_orders"] == 6 and after.context["total_lines"] == 6
