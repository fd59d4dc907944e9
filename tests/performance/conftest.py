"""A catalogue built for measuring pages: products with images, KES stock and a search index."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from haystack import connections
from oscar.core.loading import get_model

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
        call_command("update_index", verbosity=0)
        return added


def _clear_search_index() -> None:
    connections["default"].get_backend().clear()


@pytest.fixture
def search_index() -> Iterator[None]:
    """An index holding only this test's products: rows left by other tests name stale pks."""
    _clear_search_index()
    yield
    _clear_search_index()


@pytest.fixture
def catalogue(db, search_index) -> Catalogue:
    return Catalogue()
