"""Staff edits that change what the storefront shows make its cached pages and fragments
stale.

Connected to saves and deletes of everything a storefront page reads: products and
their cards, the category menu, the featured range, offers, approved reviews and the
footer's flat pages. Stock allocation at checkout goes through ``StockRecord``'s own
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
    ("offer", "ConditionalOffer"),
    ("reviews", "ProductReview"),
    ("flatpages", "FlatPage"),
)


def catalogue_changed(sender, **kwargs) -> None:
    bump_catalogue_version()


def connect() -> None:
    for app_label, model_name in WATCHED_MODELS:
        model = get_model(app_label, model_name)
        uid = f"shop-catalogue-cache-{app_label}-{model_name}"
        post_save.connect(catalogue_changed, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(catalogue_changed, sender=model, dispatch_uid=uid + "-delete")
    # ``product.categories.add()`` and ``flatpage.sites.add()`` bulk-create their rows:
    # no post_save for them.
    for through, uid in (
        (get_model("catalogue", "Product").categories.through, "product-categories"),
        (get_model("flatpages", "FlatPage").sites.through, "flatpage-sites"),
    ):
        m2m_changed.connect(
            catalogue_changed, sender=through, dispatch_uid=f"shop-catalogue-cache-{uid}"
        )
