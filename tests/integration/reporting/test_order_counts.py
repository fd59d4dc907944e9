"""The staff's order figures (orders and their value per status, order lines) are those
of the orders as they are, however they were written: saved, updated in bulk, inserted in
bulk, changed by SQL, deleted. Kept for ``SHOP_STAFF_TOTALS_CACHE_SECONDS``, a figure is
at most that far behind, and counted again after it. The same on PostgreSQL and SQLite:
no database keeps counts of its own any more (the migrations dropped PostgreSQL's
triggers and tables)."""

import time

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oscar.core.loading import get_model
from oscar.test.factories import create_order

from apps.reporting.order_counts import order_count, order_line_count, order_totals_by_status
from tests.integration.order.conftest import money_record

Line = get_model("order", "Line")
Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db


def real_counts() -> dict[str, int]:
    return dict(Order.objects.values_list("status").annotate(n=Count("pk")).order_by())


def shown_counts() -> dict[str, int]:
    """The figures per status, checked against the orders' values and line count."""
    rows = order_totals_by_status()
    real_values = dict(
        Order.objects.values_list("status").annotate(v=Sum("total_incl_tax")).order_by()
    )
    assert {row.status: row.total_incl_tax for row in rows} == real_values
    assert [row.status for row in rows] == sorted(real_values)
    assert order_line_count() == Line.objects.count()
    counts = {row.status: row.count for row in rows}
    assert counts == {status: order_count(status=status) for status in counts}
    return counts


def place(number: str, status: str = "Pending payment"):
    return create_order(number=number, status=status)


def test_placing_moving_and_deleting_orders_shows_in_the_counts():
    orders = [place(str(100100 + n)) for n in range(5)]
    assert order_count() == 5 and shown_counts() == {"Pending payment": 5}

    money_record(orders[0])  # Paid only with its money recorded
    orders[0].set_status("Paid")  # one order saved
    Order.objects.filter(pk__in=[orders[1].pk, orders[2].pk]).update(status="Cancelled")
    orders[4].delete()

    assert shown_counts() == real_counts() == {"Paid": 1, "Cancelled": 2, "Pending payment": 1}
    assert order_count() == Order.objects.count() == 4
    assert order_count(status="Shipped") == 0


def test_orders_written_in_bulk_or_by_sql_are_counted():
    template = place("100200")
    Order.objects.bulk_create(
        [
            Order(
                number=str(100300 + n),
                site=template.site,
                currency="KES",
                total_incl_tax=template.total_incl_tax,
                total_excl_tax=template.total_excl_tax,
                status="Paid",
                date_placed=timezone.now(),
            )
            for n in range(40)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Order._meta.db_table} SET status = 'Shipped', total_incl_tax = 10 "
            "WHERE number IN ('100300', '100301')"
        )

    assert shown_counts() == real_counts() == {"Pending payment": 1, "Paid": 38, "Shipped": 2}


def test_figures_are_kept_for_the_bound_then_counted_again(settings):
    settings.SHOP_STAFF_TOTALS_CACHE_SECONDS = 2  # room for a busy machine
    place("100400")
    assert order_count() == 1 and order_line_count() == 1

    place("100401")
    with CaptureQueriesContext(connection) as within_the_bound:
        assert order_count() == 1 and order_line_count() == 1
    assert len(within_the_bound) == 0

    time.sleep(2.1)
    assert order_count() == 2 and order_line_count() == 2


def test_no_figures_kept_means_counted_on_every_call(settings):
    settings.SHOP_STAFF_TOTALS_CACHE_SECONDS = 0
    place("100500")
    assert order_count() == 1

    place("100501")
    assert order_count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's catalogue")
def test_the_database_keeps_no_counts_of_its_own():
    """Writing an order costs no trigger: migrations shop 0002 and payment 0014 dropped
    the counting triggers, their functions and their tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'shop_counts_%%' "
            "OR tgname LIKE 'mpesa_day_totals_%%'"
        )
        triggers = cursor.fetchall()
        cursor.execute(
            "SELECT proname FROM pg_proc WHERE proname LIKE 'shop_order_%%_counts_change' "
            "OR proname = 'mpesa_day_totals_change'"
        )
        functions = cursor.fetchall()
    tables = set(connection.introspection.table_names())
    assert triggers == [] and functions == []
    assert not {"shop_ordercount", "shop_orderlinecount", "payment_mpesadaytotal"} & tables
