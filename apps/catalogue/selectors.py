"""Reads of products for the pages that show them, in a fixed number of queries.

A product pod (Oscar's ``catalogue/partials/product.html``) reads the product's class,
whether it has options, its first stock record, its primary image and, for a parent, its
public children's stock records. Loaded one product at a time that is five or six
queries per pod, so every page that lists products loads them through here.

Oscar's ``ProductQuerySet.base_queryset`` is not used: it also prefetches all children
and both option lists, which no page reads (``Product.options`` builds a new query
whatever was prefetched, and pods only ask ``has_options``, which is annotated).
"""

from collections.abc import Iterable

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    QuerySet,
    prefetch_related_objects,
)
from django.http import HttpRequest
from oscar.core.loading import get_model

from apps.common.queries import total_per_row
from apps.storefront import cache as shop_cache

Option = get_model("catalogue", "Option")
Product = get_model("catalogue", "Product")
ProductReview = get_model("reviews", "ProductReview")
Vote = get_model("reviews", "Vote")


def _with_options_known(products: QuerySet) -> QuerySet:
    return products.select_related("product_class").annotate(
        # Read by Product.has_options instead of a query per product.
        has_product_class_options=Exists(
            Option.objects.filter(productclass=OuterRef("product_class"))
        ),
        has_product_options=Exists(Option.objects.filter(product=OuterRef("pk"))),
    )


def _public_children() -> Prefetch:
    """Read by Product.get_public_children (the strategy prices a parent from them)."""
    children = Product.objects.public().prefetch_related("stockrecords")
    return Prefetch("children", queryset=children, to_attr="_prefetched_public_children")


def product_pods_queryset() -> QuerySet:
    """Browsable products with everything a pod reads: four queries for any page size."""
    return _with_options_known(Product.objects.browsable()).prefetch_related(
        "stockrecords", "images", _public_children()
    )


def browsable_products_in_order(product_ids: Iterable, *, limit: int) -> list:
    """The first ``limit`` browsable products among ``product_ids``, in that order, with
    their class: all that ``{% render_product %}`` reads of a product whose card is
    cached. One query; ``ready_as_cards`` loads the rest for cards that are not."""
    ids = [pk for pk in product_ids if isinstance(pk, int)]
    if not ids:
        return []
    by_id = _browsable_with_class().in_bulk(ids)
    return [by_id[pk] for pk in dict.fromkeys(ids) if pk in by_id][:limit]


def ready_as_cards(products: list, *, request: HttpRequest) -> list:
    """``products`` ready to render as product cards, their cached HTML read in one call.

    A product whose card is in the cache (``apps.storefront.cache``) is kept as it is: its card
    reads nothing more. The others are read again with the relations a card reads, in
    four queries, only when some card has to be rendered.
    """
    _cached, pods = _uncached_cards_as_pods([product.pk for product in products], request)
    if not pods:
        return products
    return [pods.get(product.pk, product) for product in products]


def with_result_products(results: list, *, request: HttpRequest) -> list:
    """Search results (a listing page's) with their products set, read in bulk: those
    whose card is in the cache with their class only (one query), the others with what a
    card reads (four). Results whose product is gone or no longer browsable are left out,
    as haystack's ``load_all`` leaves them out."""
    pks = [int(result.pk) for result in results]
    cached, products = _uncached_cards_as_pods(pks, request)
    if kept := [pk for pk in pks if pk in cached]:
        products.update(_browsable_with_class().in_bulk(kept))
    found = []
    for result, pk in zip(results, pks, strict=True):
        if pk in products:
            result.object = products[pk]
            found.append(result)
    return found


def _uncached_cards_as_pods(pks: list, request: HttpRequest) -> tuple[set, dict]:
    """The products' cards read from the cache in one call: the ``pks`` whose card was
    found, and the others' products read with what a card reads (four queries, none when
    every card was found)."""
    cached = shop_cache.prefetch_fragments(request, "card", pks)
    missing = [pk for pk in pks if pk not in cached]
    return cached, (product_pods_queryset().in_bulk(missing) if missing else {})


def _browsable_with_class() -> QuerySet:
    """All that ``{% render_product %}`` reads of a product whose card is cached."""
    return Product.objects.browsable().select_related("product_class")


def product_detail_queryset() -> QuerySet:
    """Products as the product page reads them: the stock records and images a pod reads,
    and the number of approved reviews (three places on the page).

    The page reads its stock record and images several times each (gallery, price,
    basket form). Not limited to browsable products: the page itself decides who may see
    a child or a non-public product. Attribute values are left to the one query the page
    makes for them: prefetching them costs two. A parent's variants are read by
    ``with_variants`` once the product is known to be one.
    """
    return (
        _with_options_known(Product.objects.all())
        .prefetch_related("stockrecords", "images")
        # Fills Oscar's cached property of the same name.
        .annotate(
            num_approved_reviews=total_per_row(
                ProductReview.objects.approved(), "product", Count("pk")
            )
        )
    )


def with_variants(product):
    """``product`` with its public variants and their stock records, if it is a parent."""
    if product.is_parent:
        prefetch_related_objects([product], _public_children())
    return product


def product_reviews_shown(*, product, user, limit: int = 3) -> list:
    """The approved reviews the product page shows, with their authors and, for a
    signed-in shopper, ``voted_by_user``: whether this shopper voted on each already.

    Oscar's review partial reads the author and asks ``Vote.full_clean()`` whether the
    shopper may vote: five queries per review, here none.
    """
    reviews = product.reviews.approved().select_related("user")
    if user.is_authenticated:
        reviews = reviews.annotate(
            voted_by_user=Exists(Vote.objects.filter(review=OuterRef("pk"), user=user))
        )
    return list(reviews[:limit])
