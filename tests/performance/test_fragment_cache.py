"""Product cards, the category menu and sidebar and the featured range are cached, and a
change made by staff shows on the very next page view.

The performance conftest's catalogue gives each product an image, a KES stock record and
a place in the search index; pages are read with Django's test client.
"""

import os
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache, caches
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model

from apps.storefront import cache as shop_cache
from tests.performance.conftest import PIXEL_PNG, Catalogue

# The fragments inside a page, rendered on every request (the page cache, off here, is
# tested in test_page_cache.py).
pytestmark = pytest.mark.usefixtures("page_cache_off")

Category = get_model("catalogue", "Category")
ProductImage = get_model("catalogue", "ProductImage")
Range = get_model("offer", "Range")

CATALOGUE = "/catalogue/"
THUMBNAIL_SRC = re.compile(r'<img src="(/media/cache/[^"]+)"')


def page(client: Client, url: str = CATALOGUE) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def thumbnail_files() -> set[str]:
    found = set()
    for folder, _, files in os.walk(os.path.join(settings.MEDIA_ROOT, "cache")):
        found.update(os.path.join(folder, name) for name in files)
    return found


@pytest.fixture
def shown(catalogue: Catalogue, client: Client) -> Catalogue:
    """Three products, their listing already rendered once (cards cached)."""
    catalogue.add_products(3)
    page(client)
    return catalogue


def test_a_warm_listing_renders_cards_from_the_cache(shown, client):
    key = shop_cache.fragment_key("card", shown.products[0].pk)
    pieces = cache.get(key)  # the card, cut where its form's CSRF token goes
    assert "Jiko number 1" in "".join(pieces)

    # Planted in the cache, a card is what the next page shows: proof it is not re-rendered.
    cache.set(key, tuple(piece.replace("Jiko number 1", "From the cache") for piece in pieces))
    assert "From the cache" in page(client)


def test_a_renamed_product_shows_at_once(shown, client):
    product = shown.products[0]
    product.title = "Jiko la makaa"
    product.save()

    html = page(client)
    assert "Jiko la makaa" in html
    assert "Jiko number 1<" not in html


def test_a_new_price_shows_at_once(shown, client):
    stockrecord = shown.products[1].stockrecords.get()
    stockrecord.price = Decimal("999.00")
    stockrecord.save()

    assert "KSh\xa0999" in page(client)


def test_a_product_selling_out_shows_out_of_stock_at_once(shown, client):
    assert "Out of stock" not in page(client)
    stockrecord = shown.products[0].stockrecords.get()
    stockrecord.allocate(stockrecord.num_in_stock)  # what placing an order does

    assert "Out of stock" in page(client)


def test_a_new_image_shows_at_once(shown, client):
    product = shown.products[0]
    product.images.all().delete()
    before = set(THUMBNAIL_SRC.findall(page(client)))

    image = ProductImage(product=product, display_order=0)
    image.original.save("new.png", ContentFile(PIXEL_PNG), save=True)
    after = set(THUMBNAIL_SRC.findall(page(client)))
    assert len(after - before) == 1  # the new image's thumbnail instead of the placeholder


def test_a_new_department_shows_in_the_menu_at_once(shown, client):
    assert "Vyombo" not in page(client)
    Category.objects.add_root({"name": "Vyombo"})

    assert 'class="dropdown-item" href="/catalogue/category/vyombo_' in page(client)


def sidebar(html: str) -> str:
    return html.split('class="side_categories', 1)[1].split("</div>", 1)[0]


def test_the_listing_sidebar_marks_the_category_shown_and_a_new_one_shows_at_once(shown, client):
    category_url = shown.category.get_absolute_url()
    assert "<strong>Kitchen</strong>" in sidebar(page(client, category_url))
    assert "<strong>" not in sidebar(page(client))
    cached = cache.get(shop_cache.fragment_key("category-sidebar", shown.category.pk))
    assert "<strong>Kitchen</strong>" in "".join(cached)

    Category.objects.add_root({"name": "Vyombo"})

    for url in (CATALOGUE, category_url):
        assert 'href="/catalogue/category/vyombo_' in sidebar(page(client, url)), url
    assert "<strong>Kitchen</strong>" in sidebar(page(client, category_url))


def test_a_product_added_to_the_featured_range_shows_on_the_home_page_at_once(shown, client):
    featured = Range.objects.create(name="Featured", slug="featured", is_public=True)
    featured.add_product(shown.products[0])
    assert "Jiko number 2" not in page(client, "/")

    featured.add_product(shown.products[1])
    assert "Jiko number 2" in page(client, "/")
    featured.remove_product(shown.products[1])
    assert "Jiko number 2" not in page(client, "/")


def test_a_price_changed_in_the_dashboard_shows_at_once(shown, client, django_app):
    boss = get_user_model().objects.create_user(
        username="boss", email="boss@duka.example", password="pw", is_staff=True, is_superuser=True
    )
    product = shown.products[0]
    edit = django_app.get(f"/dashboard/catalogue/products/{product.pk}/", user=boss)
    form = next(form for form in edit.forms.values() if "stockrecords-0-price" in form.fields)
    form["stockrecords-0-price"] = "777.00"
    assert form.submit().status_code == 302

    assert "KSh\xa0777" in page(client)


def test_cards_cached_for_one_shopper_carry_each_shoppers_own_csrf_token(shown, django_app):
    """A card cached for one shopper, then served to another, must post for the other."""
    first = django_app.get(CATALOGUE)
    django_app.reset()  # a second shopper, with another CSRF secret
    second = django_app.get(CATALOGUE)
    assert shop_cache.PLACEHOLDER_PREFIX not in second.text
    form = next(f for f in second.forms.values() if f.action.startswith("/basket/add/"))
    token = form["csrfmiddlewaretoken"].value
    assert token and token not in first.text

    response = form.submit()  # django_webtest checks CSRF like a browser would
    assert response.status_code == 302
    assert django_app.get("/basket/").context["basket"].num_items == 1


def test_thumbnails_are_made_once_and_later_renders_ask_neither_disk_nor_database(shown, client):
    made = thumbnail_files()
    assert made
    shop_cache.bump_catalogue_version()  # cards re-rendered: every thumbnail looked up again

    with CaptureQueriesContext(connection) as queries:
        page(client)

    assert thumbnail_files() == made
    assert not [q for q in queries if "thumbnail_kvstore" in q["sql"]]


class CardReads:
    """Records the cache reads of card fragments: one by one, or in batches."""

    def __init__(self, backend, monkeypatch) -> None:
        self.singles: list[str] = []
        self.batches: list[list[str]] = []
        self._in_batch = False
        real_get, real_get_many = backend.get, backend.get_many

        def get(key, *args, **kwargs):
            if ":card:" in key and not self._in_batch:
                self.singles.append(key)
            return real_get(key, *args, **kwargs)

        def get_many(keys, *args, **kwargs):
            self.batches.append([key for key in keys if ":card:" in key])
            self._in_batch = True  # local memory's get_many reads key by key
            try:
                return real_get_many(keys, *args, **kwargs)
            finally:
                self._in_batch = False

        monkeypatch.setattr(backend, "get", get)
        monkeypatch.setattr(backend, "get_many", get_many)


def test_a_listing_reads_its_cards_in_one_cache_call(catalogue, client, monkeypatch):
    catalogue.add_products(30)
    for url in (CATALOGUE, catalogue.category.get_absolute_url(), "/search/?q=jiko"):
        page(client, url)  # renders and caches the cards
        reads = CardReads(caches["default"], monkeypatch)

        html = page(client, url)

        monkeypatch.undo()
        assert html.count("product_pod") == 24
        assert reads.singles == [], url
        assert [len(batch) for batch in reads.batches if batch] == [24], url


def test_recently_viewed_products_read_their_cards_in_one_cache_call_and_nothing_more(
    catalogue, client, monkeypatch
):
    catalogue.add_products(8)
    for product in catalogue.products:
        page(client, product.get_absolute_url())
    url = catalogue.products[0].get_absolute_url()
    page(client, url)  # renders and caches the recently viewed cards
    reads = CardReads(caches["default"], monkeypatch)

    with CaptureQueriesContext(connection) as queries:
        html = page(client, url)

    monkeypatch.undo()
    assert html.split("Products you recently viewed", 1)[1].count("product_pod") == 6
    assert reads.singles == []
    assert [len(batch) for batch in reads.batches if batch] == [6]
    # The stock records of the page's own product; none for the cards.
    assert sum('FROM "partner_stockrecord"' in query["sql"] for query in queries) == 1
