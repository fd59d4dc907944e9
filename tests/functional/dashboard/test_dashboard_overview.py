"""The dashboard's overview shows the shop's totals without reading every order: the
all-time figures come from the counts the database keeps, the last day's from that
day's orders; the figures are the ones Oscar's own overview computes, but for revenue,
which counts paid orders only (tests/functional/dashboard/test_revenue.py)."""

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

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL triggers (CI runs it)"
    ),
]

COMPARED = [
    "total_orders_last_day",
    "total_lines_last_day",
    "total_orders",
    "total_lines",
    "total_customers",
    "total_products",
]
# Queries that read every order or every order line; the last day's (date_placed > ...)
# and the kept counts are not among them.
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


def test_the_overview_shows_oscars_figures_without_reading_every_order(client, superuser, orders):
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
    assert whole_table == []


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
