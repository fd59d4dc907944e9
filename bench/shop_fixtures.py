"""Run inside the shop's environment (``python bench/shop_fixtures.py COMMAND``) by
``bench/bench.py``: prepares what the load needs and measures queries per request.

prepare OUT.json   staff and shopper sessions, the pages' URLs, open STK pushes whose
                   success callbacks the load posts (one per attempt), written to OUT.json
queries IN.json    SQL queries per request of each endpoint, warm, as JSON on stdout
settlement IN.json after the callbacks: were they all applied exactly once?
mix-settlement IN.json  the orders the mixed run placed (a list of numbers): Paid, one debit?
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oscar_shop.settings.production")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from oscar.core.loading import get_model  # noqa: E402

from apps.demo.loader import LoadReport, ensure_kenya  # noqa: E402
from apps.payment.models import MpesaPaymentAttempt, OrderEmail  # noqa: E402
from apps.payment.mpesa.waiting import order_access_hash  # noqa: E402
from bench.scale_data import DEPARTMENTS, generate_orders  # noqa: E402

Category = get_model("catalogue", "Category")
Order = get_model("order", "Order")
Product = get_model("catalogue", "Product")
Transaction = get_model("payment", "Transaction")

HOST = os.environ.get("BENCH_HOST", "127.0.0.1")
SAFARICOM_ADDRESS = "196.201.214.200"
SHOPPERS = 64


def client() -> Client:
    return Client(HTTP_HOST=HOST)


def cookie_header(c: Client) -> str:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in c.cookies.items())


def success_body(payment: dict, receipt: str) -> dict:
    return {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": payment["merchant_request_id"],
                "CheckoutRequestID": payment["checkout_request_id"],
                "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": float(payment["amount"])},
                        {"Name": "MpesaReceiptNumber", "Value": receipt},
                        {"Name": "Balance"},
                        {"Name": "TransactionDate", "Value": 20261126101500},
                        {"Name": "PhoneNumber", "Value": 254712345678},
                    ]
                },
            }
        }
    }


def prepare(out: Path, callbacks: int) -> None:
    scale_products = Product.objects.filter(upc__startswith="SCALE-").order_by("pk")
    product = scale_products.first()
    department = Category.objects.get(name=DEPARTMENTS[0], depth=1)
    ensure_kenya(LoadReport())  # where the mixed run's shoppers have their orders delivered
    staff_user, _ = get_user_model().objects.get_or_create(
        username="bench-staff",
        defaults={"email": "bench@duka.example", "is_staff": True, "is_superuser": True},
    )
    staff = client()
    staff.force_login(staff_user)
    customer_user, _ = get_user_model().objects.get_or_create(
        username="bench-customer", defaults={"email": "wanjiru@duka.example"}
    )
    customer = client()
    customer.force_login(customer_user)

    shoppers = []
    for _ in range(SHOPPERS):
        shopper = client()
        shopper.get(product.get_absolute_url())
        token = shopper.cookies["csrftoken"].value
        response = shopper.post(
            f"/basket/add/{product.pk}/", {"quantity": 1}, HTTP_X_CSRFTOKEN=token
        )
        assert response.status_code in (200, 302), response.status_code
        shoppers.append({"cookie": cookie_header(shopper), "csrf": token})

    waiting = generate_orders(callbacks + 2, progress=lambda _: None, pending=True)
    status_payment, query_payment, *load_payments = [
        {
            "order_number": p.order_number,
            "token": p.callback_token,
            "checkout_request_id": p.checkout_request_id,
            "merchant_request_id": p.merchant_request_id,
            "amount": str(p.amount),
        }
        for p in waiting
    ]
    for payment in [query_payment, *load_payments]:
        # A receipt per order: unique across runs, as M-Pesa's are.
        payment["body"] = json.dumps(success_body(payment, "R" + payment["order_number"]))
    number = status_payment["order_number"]
    fixtures = {
        "product_url": product.get_absolute_url(),
        "product_id": product.pk,
        # What the mixed run's shoppers buy (stock of a million each): the browsed product
        # among others.
        "buy_urls": [p.get_absolute_url() for p in scale_products[:20]],
        "staleness_seconds": settings.SHOP_CACHE_STALENESS_SECONDS,
        "add_url": f"/basket/add/{product.pk}/",
        "category_url": department.get_absolute_url(),
        "search_url": "/search/?q=jiko",
        "status_url": f"/checkout/pay/{number}/{order_access_hash(number)}/status/",
        "staff_cookie": cookie_header(staff),
        # Signed in, the storefront pages are rendered for the shopper (no page cache).
        "customer_cookie": cookie_header(customer),
        "shoppers": shoppers,
        "safaricom_address": SAFARICOM_ADDRESS,
        "query_payment": query_payment,
        "callbacks": load_payments,
    }
    out.write_text(json.dumps(fixtures))
    maintain()


def maintain() -> None:
    """What a production database has after the rows just written, before the load:
    autovacuum (off on some test machines) clears dead rows and refreshes the planner's
    statistics. Then a checkpoint:
    the bench's own bulk writes (and the vacuum's) are flushed to disk before the load,
    not by a checkpoint spread over the minutes of the load, sharing the disk with the
    callbacks' commits. (A run on reused databases had its last endpoints 30-70 % slower
    than measured alone right after; such a checkpoint was a likely cause, not a proven
    one.)"""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")


def _count(send) -> int:
    send()
    with CaptureQueriesContext(connection) as queries:
        response = send()
    assert response.status_code < 400, response.status_code
    return len(queries)


def queries(fixtures: dict) -> dict[str, int]:
    shopper = client()
    staff = client()
    staff.force_login(get_user_model().objects.get(username="bench-staff"))
    customer = client()
    customer.force_login(get_user_model().objects.get(username="bench-customer"))
    counts = {
        name: _count(lambda url=url, c=c: c.get(url))
        for name, url, c in [
            ("home", "/", shopper),
            ("catalogue", "/catalogue/", shopper),
            ("category", fixtures["category_url"], shopper),
            ("search", fixtures["search_url"], shopper),
            ("product", fixtures["product_url"], shopper),
            ("catalogue, signed in", "/catalogue/", customer),
            ("category, signed in", fixtures["category_url"], customer),
            ("product, signed in", fixtures["product_url"], customer),
            ("status check", fixtures["status_url"], shopper),
            ("dashboard", "/dashboard/", staff),
            ("dashboard orders", "/dashboard/orders/", staff),
            ("dashboard M-Pesa", "/dashboard/mpesa/", staff),
            ("ceiling", "/bench/ceiling/", shopper),
        ]
    }
    token = shopper.cookies["csrftoken"].value
    counts["add to basket"] = _count(
        lambda: shopper.post(fixtures["add_url"], {"quantity": 1}, HTTP_X_CSRFTOKEN=token)
    )
    payment = fixtures["query_payment"]
    callback = client()
    with CaptureQueriesContext(connection) as captured:
        response = callback.post(
            f"/payments/stk/callback/{payment['token']}/",
            payment["body"],
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=fixtures["safaricom_address"],
        )
    assert response.status_code == 200, response.content
    counts["STK callback"] = len(captured)
    return counts


def settlement(fixtures: dict) -> dict:
    """Each posted success applied exactly once: one Paid order, one debit, per attempt."""
    numbers = [p["order_number"] for p in fixtures["callbacks"]]
    attempts = MpesaPaymentAttempt.objects.filter(order_number__in=numbers)
    succeeded = attempts.filter(status=MpesaPaymentAttempt.Status.SUCCEEDED).count()
    paid = Order.objects.filter(number__in=numbers, status="Paid").count()
    debits = Transaction.objects.filter(source__order__number__in=numbers, txn_type="Debit").values(
        "source__order_id"
    )
    twice = debits.annotate(n=Count("id")).filter(n__gt=1).count()
    emails = OrderEmail.objects.filter(order__number__in=numbers)
    return {
        "attempts settled": succeeded,
        "orders paid": paid,
        "debits": debits.count(),
        "orders debited twice": twice,
        "needs attention": attempts.filter(needs_attention=True).count(),
        "confirmations sent": emails.filter(sent_at__isnull=False).count(),
    }


def mix_settlement(numbers: list[str]) -> dict:
    """The mixed run's orders, placed and paid through the Daraja simulator: each must be
    Paid with exactly one debit."""
    orders = Order.objects.filter(number__in=numbers)
    debits = dict(
        Transaction.objects.filter(source__order__number__in=numbers, txn_type="Debit")
        .values_list("source__order__number")
        .annotate(n=Count("id"))
    )
    attempts = MpesaPaymentAttempt.objects.filter(order_number__in=numbers)
    # The simulator's record of its callbacks (its app is not installed here: its table).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE status_code = 200) "
            "FROM daraja_simulator_callbackdelivery WHERE kind = 'stk' AND reference = ANY(%s)",
            [list(attempts.values_list("checkout_request_id", flat=True))],
        )
        delivered, accepted = cursor.fetchone()
    return {
        "placed": len(numbers),
        "callbacks sent by the simulator": delivered,
        "callbacks answered 200": accepted,
        "attempts the shop also asked about (STK query)": attempts.filter(
            query_count__gt=0
        ).count(),
        "paid": orders.filter(status="Paid").count(),
        "with one debit": sum(1 for n in debits.values() if n == 1),
        "debited twice": sum(1 for n in debits.values() if n > 1),
        "attempts settled": attempts.filter(status=MpesaPaymentAttempt.Status.SUCCEEDED).count(),
        "needs attention": attempts.filter(needs_attention=True).count(),
    }


def unsent() -> dict:
    """Order emails owed and not sent yet (the mail worker catching up after the load)."""
    return {"unsent": OrderEmail.objects.filter(sent_at__isnull=True).count()}


if __name__ == "__main__":
    command, path = sys.argv[1], Path(sys.argv[2])
    if command == "prepare":
        prepare(path, callbacks=int(os.environ.get("BENCH_CALLBACKS", "30000")))
    elif command == "queries":
        print(json.dumps(queries(json.loads(path.read_text()))))
    elif command == "unsent":
        print(json.dumps(unsent()))
    elif command == "mix-settlement":
        print(json.dumps(mix_settlement(json.loads(path.read_text()))))
    elif command == "settlement":
        print(json.dumps(settlement(json.loads(path.read_text()))))
    else:
        raise SystemExit(f"unknown command {command}")
