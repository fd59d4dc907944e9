"""Page costs do not grow with the size of the shop: the catalogue, a category, search
results and the staff's order and M-Pesa lists run the same number of queries with a
small shop and with 2,000 products and 5,000 paid orders (generated in bulk as
``manage.py generate_scale_data`` does). Latency at full scale is measured by
``make bench``, never here.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from haystack import connections
from oscar.core.loading import get_model

from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa.audit import books_audit
from bench.scale_data import DEPARTMENTS, generate_orders, generate_products

Category = get_model("catalogue", "Category")
Order = get_model("order", "Order")
Product = get_model("catalogue", "Product")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.slow,
    # The rendering's cost at scale (the page cache, off here, makes repeat views free).
    pytest.mark.usefixtures("page_cache_off"),
]

#: Enough products searchable to fill several pages (the first found are what a search
#: page shows).
INDEXED_PRODUCTS = 120


def index_first_products() -> None:
    backend = connections["default"].get_backend()
    index = connections["default"].get_unified_index().get_index(Product)
    backend.update(index, Product.objects.order_by("pk")[:INDEXED_PRODUCTS])


def warm_queries(client: Client, url: str) -> int:
    assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def page_costs(client: Client, staff: Client) -> dict[str, int]:
    department = Category.objects.get(name=DEPARTMENTS[0], depth=1)
    return {
        "catalogue": warm_queries(client, "/catalogue/"),
        "category": warm_queries(client, department.get_absolute_url()),
        "search": warm_queries(client, "/search/?q=jiko"),
        "dashboard orders": warm_queries(staff, "/dashboard/orders/"),
        "dashboard M-Pesa": warm_queries(staff, "/dashboard/mpesa/"),
    }


def test_page_queries_are_the_same_for_a_small_shop_and_a_big_one(client, search_index):
    staff = Client()
    staff.force_login(
        get_user_model().objects.create_user(
            "boss", "boss@duka.example", "pw", is_staff=True, is_superuser=True
        )
    )
    generate_products(60, progress=lambda _: None)
    generate_orders(40, progress=lambda _: None)
    index_first_products()
    small = page_costs(client, staff)

    generate_products(1940, progress=lambda _: None)
    generate_orders(4960, progress=lambda _: None)
    index_first_products()
    big = page_costs(client, staff)

    assert Product.objects.count() == 2000 and Order.objects.count() == 5000
    assert big == small
    assert max(big.values()) < 15, big


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_generated_data_leaves_the_planner_statistics_up_to_date():
    """Without ANALYZE after the bulk load, PostgreSQL guesses row counts and scans whole
    tables (the M-Pesa inbox count took 40 ms instead of 0.04 at 100,000 transactions)."""
    call_command("generate_scale_data", products=12, orders=30, verbosity=0)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE relname = 'payment_mpesapaymentattempt'"
        )
        (estimated,) = cursor.fetchone()
    assert estimated == MpesaPaymentAttempt.objects.count() == 30


def test_generated_orders_keep_the_books_balanced(db):
    """The bench's orders carry their money as the shop records it: ``mpesa_audit`` on
    the big database checks real books, not generated gaps."""
    generate_products(2, progress=lambda _: None)
    generate_orders(6, progress=lambda _: None)
    generate_orders(3, progress=lambda _: None, pending=True)

    report = books_audit()
    assert report.ok, report.breaches
