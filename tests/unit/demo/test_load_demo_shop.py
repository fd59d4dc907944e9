import importlib
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.core.management import CommandError, call_command
from django.test import override_settings
from oscar.core.loading import get_model

from tests.unit.settings.production_env import production_settings

Category = get_model("catalogue", "Category")
Country = get_model("address", "Country")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
ProductImage = get_model("catalogue", "ProductImage")
Range = get_model("offer", "Range")
StockRecord = get_model("partner", "StockRecord")

pytestmark = pytest.mark.django_db

COUNTED_MODELS = [
    Category,
    Country,
    Partner,
    Product,
    ProductClass,
    ProductImage,
    Range,
    StockRecord,
    FlatPage,
    Site,
    get_user_model(),
]


def counts() -> dict[str, int]:
    counted = {model.__name__: model.objects.count() for model in COUNTED_MODELS}
    counted["featured"] = Range.objects.get(slug="featured").included_products.count()
    return counted


def load() -> str:
    out = StringIO()
    call_command("load_demo_shop", stdout=out)
    return out.getvalue()


def test_loading_twice_creates_nothing_the_second_time():
    first_output = load()
    after_first = counts()
    second_output = load()

    assert counts() == after_first
    assert "Demo shop loaded" in first_output
    assert "nothing to add" in second_output


def test_demo_catalogue_is_a_kenyan_shop():
    load()
    assert 25 <= Product.objects.count() <= 40
    assert Category.objects.filter(depth=1).count() >= 5
    assert all(product.categories.exists() for product in Product.objects.all())
    records = StockRecord.objects.all()
    assert records.count() == Product.objects.count()
    assert {record.price_currency for record in records} == {"KES"}
    assert all(record.price == record.price.to_integral_value() for record in records)
    out_of_stock = records.filter(product__product_class__track_stock=True, num_in_stock=0)
    assert 1 <= out_of_stock.count() <= 2


def test_digital_products_need_no_shipping():
    load()
    digital = ProductClass.objects.get(name="Digital")
    assert digital.requires_shipping is False
    assert Product.objects.filter(product_class=digital).exists()
    assert ProductClass.objects.filter(requires_shipping=True).exists()


def test_every_product_has_a_generated_image_file():
    load()
    assert ProductImage.objects.count() == Product.objects.count()
    image = ProductImage.objects.first()
    with image.original.open("rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"


def test_featured_range_pages_site_and_country():
    load()
    featured = Range.objects.get(slug="featured")
    assert featured.is_public
    assert 6 <= featured.included_products.count() <= 10
    assert set(FlatPage.objects.values_list("url", flat=True)) == {
        "/about/",
        "/delivery/",
        "/returns/",
        "/how-to-pay/",
    }
    site = Site.objects.get_current()
    assert site.domain != "example.com"
    assert site.name == "Duka la Nyumbani"
    assert all(page.sites.filter(pk=site.pk).exists() for page in FlatPage.objects.all())
    kenya = Country.objects.get(iso_3166_1_a2="KE")
    assert kenya.is_shipping_country


@override_settings(DEMO_ADMIN_EMAIL="boss@duka.example", DEMO_ADMIN_PASSWORD="s3cret-pass")
def test_demo_staff_user_comes_from_settings():
    load()
    user = get_user_model().objects.get(email="boss@duka.example")
    assert user.is_staff and user.is_superuser
    assert authenticate(username="boss@duka.example", password="s3cret-pass") == user


@override_settings(SHOP_DEMO_ALLOWED=False)
def test_refuses_where_demo_is_not_allowed():
    with pytest.raises(CommandError, match="SHOP_DEMO_ALLOWED"):
        load()
    assert not Product.objects.exists()
    assert not get_user_model().objects.exists()


def test_production_settings_do_not_allow_the_demo():
    # Production settings read their (required) environment once: a fresh interpreter.
    assert production_settings("SHOP_DEMO_ALLOWED") == {"SHOP_DEMO_ALLOWED": False}
    local = importlib.import_module("oscar_shop.settings.local")
    assert local.SHOP_DEMO_ALLOWED is True
