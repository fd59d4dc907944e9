from dataclasses import dataclass
from decimal import Decimal

import pytest
from oscar.core.loading import get_model
from oscar.test import factories

from apps.demo.loader import LoadReport, ensure_kenya

Category = get_model("catalogue", "Category")
Product = get_model("catalogue", "Product")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductClass = get_model("catalogue", "ProductClass")
Range = get_model("offer", "Range")


@dataclass
class Catalogue:
    kitchen: Category
    vouchers: Category
    kettle: Product
    sufuria: Product
    voucher: Product


def add_product(title: str, category: Category, product_class: str, price: str, stock) -> Product:
    product = factories.create_product(
        title=title,
        product_class=product_class,
        price=Decimal(price),
        num_in_stock=stock,
    )
    ProductCategory.objects.create(product=product, category=category)
    return product


@pytest.fixture
def catalogue(db) -> Catalogue:
    """A small Kenyan catalogue: two kitchen goods and a digital gift voucher."""
    ensure_kenya(LoadReport())
    ProductClass.objects.create(name="Household", requires_shipping=True, track_stock=True)
    ProductClass.objects.create(name="Digital", requires_shipping=False, track_stock=False)
    kitchen = Category.add_root(name="Kitchen")
    vouchers = Category.add_root(name="Gift vouchers")
    catalogue = Catalogue(
        kitchen=kitchen,
        vouchers=vouchers,
        kettle=add_product("Electric kettle 1.7 litres", kitchen, "Household", "2650", 3),
        sufuria=add_product("Aluminium sufuria set", kitchen, "Household", "3950", 10),
        voucher=add_product("Gift voucher KSh 1,000", vouchers, "Digital", "1000", None),
    )
    featured = Range.objects.create(name="Featured", slug="featured", is_public=True)
    featured.add_product(catalogue.kettle)
    return catalogue


@pytest.fixture
def search_index(catalogue):
    """The catalogue as searches find it (they read the catalogue tables: nothing to fill)."""
    return catalogue
