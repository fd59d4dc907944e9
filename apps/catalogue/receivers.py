"""Staff edits that change what the storefront shows make its cached fragments stale.

Connected to saves and deletes of everything a product card, the category menu or the
featured range reads. Stock allocation at checkout goes through ``StockRecord``'s own
post-save signal, so a product selling out also refreshes its card.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from oscar.core.loading import get_model

from apps.shop.cache import bump_catalogue_version

WATCHED_MODELS = (
    ("catalogue", "Product"),
    ("catalogue", "ProductClass"),
    ("catalogue", "ProductImage"),
    ("catalogue", "ProductCategory"),
    ("catalogue", "Category"),
    ("catalogue", "Option"),
    ("partner", "StockRecord"),
    ("offer", "Range"),
    ("offer", "RangeProduct"),
)


def catalogue_changed(sender, **kwargs) -> None:
    bump_catalogue_version()


def connect() -> None:
    for app_label, model_name in WATCHED_MODELS:
        model = get_model(app_label, model_name)
        uid = f"shop-catalogue-cache-{app_label}-{model_name}"
        post_save.connect(catalogue_changed, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(catalogue_changed, sender=model, dispatch_uid=uid + "-delete")
    # ``product.categories.add()`` bulk-creates its rows: no post_save for them.
    m2m_changed.connect(
        catalogue_changed,
        sender=get_model("catalogue", "Product").categories.through,
        dispatch_uid="shop-catalogue-cache-product-categories",
    )
