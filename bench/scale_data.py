"""A catalogue and order history of any size, written in bulk, for measuring the shop at scale.

Rows go in with ``bulk_create`` in batches (no per-row save, no signals), so 10,000
products and 100,000 paid orders with their lines and M-Pesa transactions take minutes.
Products share a handful of generated pictures: thumbnails are made per picture, as a
real shop's would be per product, but the disk stays small. Everything is named
``Scale …`` and numbered from where an earlier run stopped, so runs add up.
"""

import itertools
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.sites.models import Site
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from oscar.core.loading import get_model

from apps.demo.loader import product_card_png
from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa.services import (
    SOURCE_TYPE_CODE,
    callback_token_digest,
    payment_types_ensure,
)

logger = logging.getLogger(__name__)

Category = get_model("catalogue", "Category")
Line = get_model("order", "Line")
Order = get_model("order", "Order")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
Transaction = get_model("payment", "Transaction")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductClass = get_model("catalogue", "ProductClass")
ProductImage = get_model("catalogue", "ProductImage")
StockRecord = get_model("partner", "StockRecord")

BATCH = 2000
DEPARTMENTS = ("Scale kitchen", "Scale electronics", "Scale clothing", "Scale farm", "Scale books")
WORDS = ("jiko", "sufuria", "kikoy", "kiondo", "taa", "redio", "kanga", "jembe", "kitabu", "chai")
PICTURES = 8


@dataclass(frozen=True)
class PendingPayment:
    """An order waiting for its M-Pesa callback, and what Daraja's callback would carry."""

    order_number: str
    callback_token: str
    checkout_request_id: str
    merchant_request_id: str
    amount: Decimal


def _batches(items: Iterator, size: int = BATCH) -> Iterator[list]:
    while batch := list(itertools.islice(items, size)):
        yield batch


def _departments() -> list:
    found = []
    for name in DEPARTMENTS:
        category = Category.objects.filter(name=name, depth=1).first()
        found.append(category or Category.add_root(name=name))
    return found


def _pictures() -> list[str]:
    names = []
    for number in range(PICTURES):
        name = f"images/products/scale/scale-{number}.png"
        if not default_storage.exists(name):
            colour = (40 + number * 25, 120, 200 - number * 20)
            default_storage.save(name, ContentFile(product_card_png(f"Scale {number}", colour)))
        names.append(name)
    return names


def generate_products(count: int, progress: Callable[[str], None] = logger.info) -> int:
    """Add ``count`` public products, each in a department with KES stock and a picture."""
    product_class, _ = ProductClass.objects.get_or_create(
        slug="scale-goods", defaults={"name": "Scale goods", "track_stock": True}
    )
    partner, _ = Partner.objects.get_or_create(name="Scale supplier")
    departments = _departments()
    pictures = _pictures()
    start = Product.objects.filter(upc__startswith="SCALE-").count()
    now = timezone.now()

    def products() -> Iterator:
        for number in range(start, start + count):
            word = WORDS[number % len(WORDS)]
            yield Product(
                title=f"Scale {word} {number}",
                slug=f"scale-{word}-{number}",
                upc=f"SCALE-{number:07d}",
                product_class=product_class,
                structure=Product.STANDALONE,
                is_public=True,
                date_created=now,
                date_updated=now,
            )

    made = 0
    for batch in _batches(products()):
        with transaction.atomic():
            created = Product.objects.bulk_create(batch)
            if not all(product.pk for product in created):  # SQLite before 3.35: re-read
                created = list(Product.objects.filter(upc__in=[p.upc for p in batch]))
            ProductCategory.objects.bulk_create(
                ProductCategory(product=p, category=departments[p.pk % len(departments)])
                for p in created
            )
            StockRecord.objects.bulk_create(
                StockRecord(
                    product=p,
                    partner=partner,
                    partner_sku=p.upc,
                    price_currency="KES",
                    price=Decimal(200 + (p.pk * 37) % 9000),
                    num_in_stock=1_000_000,
                )
                for p in created
            )
            ProductImage.objects.bulk_create(
                ProductImage(product=p, original=pictures[p.pk % len(pictures)], display_order=0)
                for p in created
            )
        made += len(created)
        progress(f"products: {made}/{count}")
    return made


def generate_orders(
    count: int, progress: Callable[[str], None] = logger.info, *, pending: bool = False
) -> list[PendingPayment]:
    """Add ``count`` paid guest orders of one or two scale products, each with its paid
    M-Pesa transaction: what the order and M-Pesa dashboards list.

    With ``pending`` the orders wait for payment instead, each with an open STK push
    whose callback token is returned (a benchmark posts their success callbacks).
    """
    products = list(
        Product.objects.filter(upc__startswith="SCALE-")
        .values_list("pk", "title", "upc")
        .order_by("pk")[:500]
    )
    if not products:
        raise ValueError("Generate products first: orders are for scale products.")
    site = Site.objects.get_current()
    partner = Partner.objects.get(name="Scale supplier")
    prefix = "P" if pending else "S"
    start = Order.objects.filter(number__startswith=prefix).count()
    order_status = "Pending payment" if pending else "Paid"
    waiting: list[PendingPayment] = []
    now = timezone.now()

    def rows(number: int) -> tuple:
        placed = now - timedelta(minutes=number % (60 * 24 * 90))
        lines = 1 + number % 2
        amount = Decimal(1250 * lines)
        order = Order(
            number=f"{prefix}{number:08d}",
            site=site,
            currency="KES",
            total_incl_tax=amount,
            total_excl_tax=amount,
            shipping_incl_tax=Decimal(0),
            shipping_excl_tax=Decimal(0),
            shipping_method="Collect in store",
            shipping_code="collect",
            status=order_status,
            guest_email=f"guest{number}@example.co.ke",
            date_placed=placed,
        )
        picked = [products[(number + k) % len(products)] for k in range(lines)]
        token = secrets.token_hex(32)
        attempt = MpesaPaymentAttempt(
            order_number=order.number,
            callback_token=callback_token_digest(token),
            phone="254712345678",
            amount=amount,
            status=MpesaPaymentAttempt.Status.SUCCEEDED,
            amount_paid=amount,
            receipt_number=f"SC{number:08d}",
            checkout_request_id=f"ws_CO_{prefix}{number:08d}",
            merchant_request_id=f"scale-{prefix}{number}",
            result_code="0",
            result_desc="The service request is processed successfully.",
            guest_email=order.guest_email,
            recorded_on_order=True,
            created_at=placed,
            settled_at=placed,
        )
        if pending:
            attempt.status = MpesaPaymentAttempt.Status.PENDING
            attempt.amount_paid = attempt.receipt_number = attempt.settled_at = None
            attempt.result_code = attempt.result_desc = ""
            attempt.recorded_on_order = False
            waiting.append(
                PendingPayment(
                    order.number,
                    token,
                    attempt.checkout_request_id,
                    attempt.merchant_request_id,
                    amount,
                )
            )
        return order, picked, attempt

    made = 0
    for numbers in _batches(iter(range(start, start + count))):
        built = [rows(number) for number in numbers]
        with transaction.atomic():
            orders = Order.objects.bulk_create([order for order, _, _ in built])
            if not all(order.pk for order in orders):
                by_number = dict(
                    Order.objects.filter(number__in=[o.number for o in orders]).values_list(
                        "number", "pk"
                    )
                )
                for order in orders:
                    order.pk = by_number[order.number]
            Line.objects.bulk_create(
                Line(
                    order=order,
                    partner=partner,
                    partner_name=partner.name,
                    partner_sku=upc,
                    product_id=product_id,
                    title=title,
                    upc=upc,
                    quantity=1,
                    num_allocated=0,
                    line_price_incl_tax=Decimal(1250),
                    line_price_excl_tax=Decimal(1250),
                    line_price_before_discounts_incl_tax=Decimal(1250),
                    line_price_before_discounts_excl_tax=Decimal(1250),
                    unit_price_incl_tax=Decimal(1250),
                    unit_price_excl_tax=Decimal(1250),
                    status=order_status,
                )
                for order, (_, picked, _) in zip(orders, built, strict=True)
                for product_id, title, upc in picked
            )
            for order, (_, _, attempt) in zip(orders, built, strict=True):
                attempt.order_id = order.pk
            MpesaPaymentAttempt.objects.bulk_create([attempt for _, _, attempt in built])
            _sources_create(orders, [attempt for _, _, attempt in built], paid=not pending)
        made += len(orders)
        if made % 10_000 < BATCH:
            progress(f"orders: {made}/{count}")
    return waiting


def _sources_create(orders, attempts, *, paid: bool) -> None:
    """Each order's M-Pesa source as checkout and settling leave it: the amount allocated
    (an Authorise transaction) and, for a paid order, debited with its receipt (a Debit
    transaction), so the generated books balance (``manage.py mpesa_audit``)."""
    payment_types_ensure()
    source_type = SourceType.objects.get(code=SOURCE_TYPE_CODE)
    sources = Source.objects.bulk_create(
        Source(
            order_id=order.pk,
            source_type=source_type,
            currency=order.currency,
            amount_allocated=order.total_incl_tax,
            amount_debited=order.total_incl_tax if paid else Decimal(0),
        )
        for order in orders
    )
    transactions = []
    for source, attempt in zip(sources, attempts, strict=True):
        transactions.append(
            Transaction(
                source=source, txn_type=Transaction.AUTHORISE, amount=source.amount_allocated
            )
        )
        if paid:
            transactions.append(
                Transaction(
                    source=source,
                    txn_type=Transaction.DEBIT,
                    amount=source.amount_debited,
                    reference=attempt.receipt_number,
                )
            )
    Transaction.objects.bulk_create(transactions)
