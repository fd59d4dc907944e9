"""Revenue on the dashboard is money received: paid orders only (Paid and the statuses
after it), the orders awaiting payment shown apart and labelled, cancelled ones in
neither; on the overview (all time and the last 24 hours) and in the order report."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from oscar.core.loading import get_model
from oscar.test.factories import create_order

Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db

KSH = "KSh\xa0"


def order(number: str, status: str, total: str, days_ago: int = 0):
    """An order with this status and total; written as a raw update, as the statuses
    after Pending payment are reached only through the payment service."""
    placed = create_order(number=number, status="Pending payment")
    Order.objects.filter(pk=placed.pk).update(
        status=status,
        total_incl_tax=Decimal(total),
        date_placed=timezone.now() - timedelta(days=days_ago, minutes=5),
    )
    return Order.objects.get(pk=placed.pk)


@pytest.fixture
def orders(db):
    return [
        # Today
        order("100801", "Paid", "3150"),
        order("100802", "Shipped", "1250"),
        order("100803", "Pending payment", "2900"),
        order("100804", "Cancelled", "999"),
        # Last week
        order("100805", "Complete", "5000", days_ago=7),
        order("100806", "Being processed", "600", days_ago=7),
        order("100807", "Pending payment", "3400", days_ago=7),
        order("100808", "Cancelled", "450", days_ago=7),
    ]


@pytest.fixture
def overview(client, superuser, orders):
    client.force_login(superuser)
    return client.get(reverse("dashboard:index"))


def test_all_time_revenue_counts_paid_orders_only(overview):
    assert overview.context["total_revenue"] == Decimal("3150") + 1250 + 5000 + 600
    revenue = overview.context["revenue"]
    assert (revenue.paid_orders, revenue.paid) == (4, Decimal("10000"))
    assert (revenue.awaiting_orders, revenue.awaiting) == (2, Decimal("6300"))
    assert revenue.cancelled_orders == 2


def test_last_days_revenue_counts_its_paid_orders_only(overview):
    assert overview.context["total_revenue_last_day"] == Decimal("4400")
    assert overview.context["average_order_costs"] == Decimal("2200")
    last_day = overview.context["revenue_last_day"]
    assert (last_day.awaiting_orders, last_day.awaiting) == (1, Decimal("2900"))
    assert last_day.cancelled_orders == 1


def test_the_overview_shows_unpaid_orders_apart_and_labelled(overview):
    page = overview.content.decode()
    assert f"{KSH}10,000" in page and f"{KSH}4,400" in page
    assert "Revenue (paid orders)" in page
    assert "Awaiting payment (not in revenue)" in page
    assert f"2 orders, {KSH}6,300" in page and f"1 order, {KSH}2,900" in page
    assert "Cancelled (not in revenue)" in page
    # Oscar's own sum of every order (16,749 all time) is nowhere.
    assert "16,749" not in page and "Total revenue" not in page


def test_the_last_days_chart_adds_up_paid_orders_only(overview):
    hourly = overview.context["hourly_report_dict"]
    assert sum(item["total_incl_tax"] for item in hourly["order_total_hourly"]) == Decimal("4400")


def test_the_order_report_gives_the_ranges_revenue_and_each_orders_status(
    client, superuser, orders
):
    client.force_login(superuser)
    today = timezone.localdate()

    response = client.get(
        reverse("dashboard:reports-index"),
        {"report_type": "order_report", "date_from": today - timedelta(days=1), "date_to": today},
    )

    page = response.content.decode()
    assert f"Revenue (paid orders): {KSH}4,400 from 2 orders" in page
    assert f"Awaiting payment (not in revenue): 1 order, {KSH}2,900" in page
    assert "Cancelled (not in revenue): 1 order" in page
    assert response.context["objects"].count() == 4
    assert "<th>Status</th>" in page and "<td>Pending payment</td>" in page


def test_the_order_report_csv_has_each_orders_status(client, superuser, orders):
    client.force_login(superuser)

    response = client.get(
        reverse("dashboard:reports-index"), {"report_type": "order_report", "download": "on"}
    )

    rows = [line.split(",") for line in response.content.decode().splitlines()]
    assert rows[0][3:5] == ["Total incl. VAT", "Status"]
    statuses = {row[0]: row[4] for row in rows[1:]}
    assert statuses["100803"] == "Pending payment" and statuses["100805"] == "Complete"
