"""A catalogue built for measuring pages: products with images, KES stock and a search index."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from oscar.core.loading import get_model

from apps.storefront import triggers
from apps.storefront import version as storefront_version

Category = get_model("catalogue", "Category")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductClass = get_model("catalogue", "ProductClass")
ProductImage = get_model("catalogue", "ProductImage")
StockRecord = get_model("partner", "StockRecord")

#: A 1x1 PNG: enough for sorl-thumbnail to open and resize, small enough to write 30 times.
PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a2b6c1a40000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def catalogue_version_read_as_a_web_process_reads_it(settings):
    """Pages are measured as a web process serves them, reading the catalogue version once
    per ``SHOP_CACHE_STALENESS_SECONDS`` rather than per request (the test settings' 0). So
    that each test still sees its own changes at once, any write this test makes lets the
    next request read the version again (tests/integration/storefront tests the bound)."""
    settings.SHOP_CACHE_STALENESS_SECONDS = 3600
    storefront_version.forget()
    watched = tuple(triggers.watched_tables())

    def forget_on_write(execute, sql, params, many, context):
        if not sql.lstrip().upper().startswith("SELECT") and any(t in sql for t in watched):
            storefront_version.forget()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(forget_on_write):
        yield


class Catalogue:
    """One category of products shaped like the demo shop's: physical and digital classes,
    each product with an image and a KES stock record."""

    def __init__(self) -> None:
        self.physical = ProductClass.objects.create(
            name="Household", requires_shipping=True, track_stock=True
        )
        self.digital = ProductClass.objects.create(
            name="E-books", requires_shipping=False, track_stock=False
        )
        self.partner = Partner.objects.create(name="Duka la Nyumbani")
        self.category = Category.objects.add_root({"name": "Kitchen"})
        self.products: list = []

    def add_products(self, count: int, title: str = "Jiko number {number}") -> list:
        """Add ``count`` products (every third one digital) and bring the index up to date."""
        added = []
        for _ in range(count):
            number = len(self.products) + 1
            product = Product.objects.create(
                title=title.format(number=number),
                product_class=self.digital if number % 3 == 0 else self.physical,
                upc=f"KE-{number:04d}",
            )
            ProductCategory.objects.create(product=product, category=self.category)
            StockRecord.objects.create(
                product=product,
                partner=self.partner,
                partner_sku=f"SKU-{number:04d}",
                price_currency="KES",
                price=Decimal("1250.00") + number,
                num_in_stock=50,
            )
            image = ProductImage(product=product, display_order=0)
            image.original.save(f"product-{number}.png", ContentFile(PIXEL_PNG), save=True)
            self.products.append(product)
            added.append(product)
        return added


@pytest.fixture
def search_index() -> Iterator[None]:
    """Searches read the catalogue tables: there is no index to fill or clear."""
    yield


@pytest.fixture
def catalogue(db, search_index) -> Catalogue:
    return Catalogue()
