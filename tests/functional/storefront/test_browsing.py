"""A guest browses the shop: home, departments, products, search, and wrong URLs."""

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_shows_the_shop_featured_products_and_departments(django_app, catalogue):
    page = django_app.get("/")
    assert page.status_code == 200
    assert "Duka la Nyumbani" in page
    assert "Pay with M-Pesa" in page
    featured = page.html.select_one(".shop-featured")
    assert "Electric kettle" in featured.text
    assert "Aluminium sufuria" not in featured.text
    assert "KSh\xa02,650" in featured.text
    departments = page.html.select_one(".shop-categories")
    assert {a.text.strip() for a in departments.select("a")} == {"Kitchen", "Gift vouchers"}
    assert departments.select_one("a")["href"].startswith("/catalogue/category/")


def test_home_page_without_a_featured_range_still_works(django_app, catalogue):
    from oscar.core.loading import get_model

    get_model("offer", "Range").objects.all().delete()
    page = django_app.get("/")
    assert page.status_code == 200
    assert page.html.select_one(".shop-featured") is None


def test_category_page_lists_its_products_in_shillings(django_app, search_index):
    catalogue = search_index
    page = django_app.get(catalogue.kitchen.get_absolute_url())
    assert page.status_code == 200
    assert "Electric kettle 1.7 litres" in page
    assert "Aluminium sufuria set" in page
    assert "Gift voucher KSh 1,000" not in page
    assert "KSh\xa03,950" in page


def test_product_page_shows_price_and_add_to_basket(django_app, catalogue):
    page = django_app.get(catalogue.kettle.get_absolute_url())
    assert page.status_code == 200
    assert "Electric kettle 1.7 litres" in page
    assert "KSh\xa02,650" in page
    assert "add_to_basket_form" in page.forms


def test_search_finds_a_product_by_a_word_of_its_title(django_app, search_index):
    page = django_app.get("/search/", {"q": "kettle"})
    assert page.status_code == 200
    assert "No products found" not in page
    assert "Found <strong>0</strong> results" not in page
    assert "Electric kettle 1.7 litres" in page
    assert "Aluminium sufuria set" not in page


def test_catalogue_index_lists_products(django_app, search_index):
    page = django_app.get("/catalogue/")
    assert "No products found" not in page
    assert "Electric kettle 1.7 litres" in page


@pytest.mark.parametrize(
    "url",
    [
        "/catalogue/no-such-thing_999999/",
        "/catalogue/category/no-such-department_999999/",
        "/catalogue/category/nowhere/",
    ],
)
def test_unknown_product_or_category_gets_the_shops_404_page(django_app, catalogue, url):
    page = django_app.get(url, status=404)
    # Oscar's 404 page in the shop's layout, not Django's bare "Not Found".
    assert "Page not found" in page
    assert "Duka la Nyumbani" in page


def test_flat_pages_are_served(django_app, db):
    from django.core.management import call_command

    call_command("load_demo_shop", verbosity=0)
    page = django_app.get("/how-to-pay/")
    assert page.status_code == 200
    assert "M-Pesa PIN" in page
