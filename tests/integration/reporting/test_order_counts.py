"""The database keeps the number of orders per status (``OrderCount``) as orders are
placed, moved and deleted, in any way Django writes them; folding keeps the counts.

PostgreSQL only: the counts are kept by its triggers (SQLite counts the orders)."""

import importlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone
from oscar.core.loading import get_model
from oscar.test.factories import create_order

from apps.reporting.models import OrderCount, OrderLineCount
from apps.reporting.order_counts import (
    order_count,
    order_counts_fold,
    order_line_count,
    order_totals_by_status,
)
from tests.integration.order.conftest import money_record

Line = get_model("order", "Line")
Order = get_model("order", "Order")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL triggers (CI runs it)"
    ),
]


def real_counts() -> dict[str, int]:
    return dict(Order.objects.values_list("status").annotate(n=Count("pk")).order_by())


def kept_counts() -> dict[str, int]:
    """The kept counts per status, checked against the kept values and line count."""
    statuses = set(OrderCount.objects.values_list("status", flat=True))
    counts = {status: order_count(status=status) for status in statuses}
    values = {row.status: row.total_incl_tax for row in order_totals_by_status()}
    real_values = dict(
        Order.objects.values_list("status").annotate(v=Sum("total_incl_tax")).order_by()
    )
    assert values == real_values
    assert order_line_count() == Line.objects.count()
    return {status: n for status, n in counts.items() if n}


def place(number: str, status: str = "Pending payment"):
    return create_order(number=number, status=status)


def test_placing_moving_and_deleting_orders_keeps_the_counts():
    orders = [place(str(100100 + n)) for n in range(5)]
    assert order_count() == 5 and kept_counts() == {"Pending payment": 5}

    money_record(orders[0])  # Paid only with its money recorded
    orders[0].set_status("Paid")  # one order saved
    Order.objects.filter(pk__in=[orders[1].pk, orders[2].pk]).update(status="Cancelled")
    Order.objects.filter(pk=orders[3].pk).update(guest_email="njeri@example.com")  # no move
    orders[4].delete()

    assert kept_counts() == real_counts() == {"Paid": 1, "Cancelled": 2, "Pending payment": 1}
    assert order_count() == Order.objects.count() == 4
    assert order_count(status="Shipped") == 0


def test_bulk_placed_orders_are_counted_once():
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

    assert kept_counts() == real_counts() == {"Pending payment": 1, "Paid": 40}


def test_folding_leaves_one_row_per_status_with_the_same_counts():
    for n in range(6):
        place(str(100400 + n), status="Paid" if n % 2 else "Pending payment")
    Order.objects.filter(number="100400").update(status="Cancelled")
    assert OrderCount.objects.count() > 3

    report = order_counts_fold()

    assert report.rows_before > report.rows_after
    assert OrderCount.objects.count() == 3
    assert kept_counts() == real_counts() == {"Paid": 3, "Pending payment": 2, "Cancelled": 1}
    assert order_counts_fold().rows_before == 0  # nothing left to fold


def test_installing_the_triggers_counts_the_orders_already_there():
    migration = importlib.import_module("apps.reporting.migrations.0001_order_counts")
    place("100500", status="Paid")
    with connection.schema_editor() as editor:
        migration.remove_triggers(None, editor)
    OrderCount.objects.all().delete()
    OrderLineCount.objects.all().delete()
    place("100501", status="Paid")  # placed while nothing counts
    place("100502")

    with connection.schema_editor() as editor:
        migration.install_triggers(None, editor)

    assert kept_counts() == real_counts() == {"Paid": 2, "Pending payment": 1}


def test_the_minutes_reconcile_folds_the_order_counts(capsys):
    for n in range(3):
        place(str(100600 + n))

    call_command("mpesa_reconcile")

    # Three orders of one status, and their three lines.
    assert "order counts: 6 rows folded into 2" in capsys.readouterr().out
    assert OrderCount.objects.count() == 1 and order_count() == 3
    assert OrderLineCount.objects.count() == 1 and order_line_count() == 3
