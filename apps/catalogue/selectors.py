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

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from oscar.core.loading import get_model

Option = get_model("catalogue", "Option")
Product = get_model("catalogue", "Product")


def _with_pod_relations(products: QuerySet, children: QuerySet) -> QuerySet:
    return (
        products.select_related("product_class")
        .annotate(
            # Read by Product.has_options instead of a query per product.
            has_product_class_options=Exists(
                Option.objects.filter(productclass=OuterRef("product_class"))
            ),
            has_product_options=Exists(Option.objects.filter(product=OuterRef("pk"))),
        )
        .prefetch_related(
            "stockrecords",
            "images",
            # Read by Product.get_public_children (the strategy prices a parent from them).
            Prefetch("children", queryset=children, to_attr="_prefetched_public_children"),
        )
    )


def product_pods_queryset() -> QuerySet:
    """Browsable products with everything a pod reads: four queries for any page size."""
    children = Product.objects.public().prefetch_related("stockrecords")
    return _with_pod_relations(Product.objects.browsable(), children)


def product_pods_in_order(product_ids: Iterable[int]) -> list:
    """The browsable products among ``product_ids``, in that order, ready to render as pods."""
    ids = list(product_ids)
    if not ids:
        return []
    by_id = product_pods_queryset().in_bulk(ids)
    return [by_id[product_id] for product_id in ids if product_id in by_id]


def product_detail_queryset() -> QuerySet:
    """Products as the product page reads them: the relations a pod reads.

    The page reads its stock record, images and variants several times each (gallery,
    price, basket form, variant list). Not limited to browsable products: the page itself
    decides who may see a child or a non-public product. Attribute values are left to
    the one query the page makes for them: prefetching them costs two.
    """
    children = Product.objects.public().prefetch_related("stockrecords")
    return _with_pod_relations(Product.objects.all(), children)
