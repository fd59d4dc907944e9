"""Product view counts (Oscar's ``ProductRecord.num_views``) written in batches.

Oscar's analytics receiver writes (and commits) a row on every product page view, which
makes the most viewed page of the shop the one that writes to the database most, and
would undo the page cache. Here each process counts views in memory and adds them to
``ProductRecord`` at most every ``SHOP_VIEW_COUNT_FLUSH_SECONDS`` (and when it exits):
one UPDATE per product viewed in that time instead of one per view. A process that is
killed loses at most that many seconds of counts; the counts only feed Oscar's reports.

A signed-in shopper's own records (``UserRecord.num_product_views`` and a
``UserProductView`` row per view, with the time of the view) go into the same batch.
"""

import atexit
import logging
import threading
import time
from collections import Counter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.timezone import now
from oscar.apps.analytics import receivers as oscar_analytics
from oscar.apps.catalogue.signals import product_viewed
from oscar.core.loading import get_model

logger = logging.getLogger(__name__)

Product = get_model("catalogue", "Product")
ProductRecord = get_model("analytics", "ProductRecord")
UserProductView = get_model("analytics", "UserProductView")
UserRecord = get_model("analytics", "UserRecord")
User = get_user_model()

_lock = threading.Lock()
_pending: Counter[int] = Counter()
_user_views: list = []  # unsaved UserProductView rows
_last_flush = time.monotonic()


def count_view(product_id: int, user_id: int | None = None) -> None:
    """Count one view of the product (by a signed-in user, if given); written out when the
    batch is due."""
    global _last_flush
    with _lock:
        _pending[product_id] += 1
        if user_id is not None:
            _user_views.append(
                UserProductView(product_id=product_id, user_id=user_id, date_created=now())
            )
        due = time.monotonic() - _last_flush >= settings.SHOP_VIEW_COUNT_FLUSH_SECONDS
        if due:
            _last_flush = time.monotonic()
    if due:
        flush()


def flush() -> None:
    """Add the counted views to ``ProductRecord``: one UPDATE per product."""
    with _lock:
        batch = dict(_pending)
        _pending.clear()
        user_views = list(_user_views)
        _user_views.clear()
    for product_id, views in batch.items():
        try:
            _add_views(product_id, views)
        except Exception:
            logger.exception("Could not record %s views of product %s", views, product_id)
    if user_views:
        try:
            _add_user_views(user_views)
        except Exception:
            logger.exception("Could not record %s views by signed-in users", len(user_views))


def _add_views(product_id: int, views: int) -> None:
    records = ProductRecord.objects.filter(product_id=product_id)
    if records.update(num_views=F("num_views") + views):
        return
    if not Product.objects.filter(pk=product_id).exists():
        return  # deleted since it was viewed
    try:
        with transaction.atomic():
            ProductRecord.objects.create(product_id=product_id, num_views=views)
    except IntegrityError:
        # Created by another process meanwhile.
        records.update(num_views=F("num_views") + views)


def _add_user_views(views: list) -> None:
    """The users' view rows in one INSERT, and each user's count; users or products
    deleted since are left out."""
    users = set(User.objects.filter(pk__in={v.user_id for v in views}).values_list("pk", flat=True))
    products = set(
        Product.objects.filter(pk__in={v.product_id for v in views}).values_list("pk", flat=True)
    )
    kept = [v for v in views if v.user_id in users and v.product_id in products]
    UserProductView.objects.bulk_create(kept)
    for user_id, count in Counter(v.user_id for v in kept).items():
        oscar_analytics._update_counter(
            UserRecord, "num_product_views", {"user_id": user_id}, count
        )


def receive_product_view(sender, product, user, **kwargs) -> None:
    """Replaces Oscar's analytics receiver for ``product_viewed``."""
    if kwargs.get("raw", False):
        return
    signed_in = user is not None and user.is_authenticated
    count_view(product.pk, user.pk if signed_in else None)


def connect() -> None:
    product_viewed.disconnect(oscar_analytics.receive_product_view)
    product_viewed.connect(receive_product_view, dispatch_uid="shop-product-view-counts")
    atexit.register(_flush_at_exit)


def _flush_at_exit() -> None:
    try:
        flush()
    except Exception:  # the database may already be gone
        logger.warning("Product view counts not written at exit", exc_info=True)
