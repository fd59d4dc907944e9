"""Reads of a signed-in shopper's own things for the storefront pages."""

from django.db.models import Exists, OuterRef
from oscar.core.loading import get_model

WishListLine = get_model("wishlists", "Line")


def wishlists_with_product(*, user, product) -> list:
    """The user's wish lists in Oscar's order, each with ``has_product``: whether
    ``product`` is on it. One query, however many lists there are."""
    on_list = WishListLine.objects.filter(wishlist=OuterRef("pk"), product=product)
    return list(user.wishlists.annotate(has_product=Exists(on_list)))
