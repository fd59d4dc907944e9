"""Search finds products by the words in their titles, and browsing lists every product.

Both go through Oscar's Haystack views to the shop's search engine, which reads the
catalogue tables (``apps.search.engine``).
"""

import re

POD = re.compile(r'<article class="product_pod\b')


def test_search_finds_a_product_by_a_word_in_its_title(catalogue, client):
    sufuria = catalogue.add_products(1, title="Sufuria ya alumini")[0]
    kikombe = catalogue.add_products(1, title="Kikombe cha chai")[0]

    for word in ("sufuria", "Alumini"):
        page = client.get("/search/", {"q": word}).content.decode()

        assert "No products found" not in page
        assert "Found <strong>1</strong> result." in page
        assert sufuria.get_absolute_url() in page
        assert kikombe.get_absolute_url() not in page


def test_search_for_a_word_in_no_title_finds_nothing(catalogue, client):
    catalogue.add_products(3)

    page = client.get("/search/", {"q": "pikipiki"}).content.decode()

    assert "Found <strong>0</strong> results." in page
    assert not POD.findall(page)


def test_catalogue_lists_every_browsable_product_and_nothing_else(catalogue, client):
    listed = catalogue.add_products(30)
    hidden = catalogue.add_products(1, title="Not yet on sale")[0]
    hidden.is_public = False
    hidden.save()

    first = client.get("/catalogue/").content.decode()
    second = client.get("/catalogue/", {"page": 2}).content.decode()

    assert "<strong>30</strong> results" in first
    assert len(POD.findall(first)) == 24
    assert len(POD.findall(second)) == 6
    shown = first + second
    assert all(product.get_absolute_url() in shown for product in listed)
    assert hidden.get_absolute_url() not in shown


def test_a_product_saved_after_indexing_is_found_without_rebuilding(catalogue, client):
    """Oscar's signal processor indexes a product when it is saved (e.g. in the dashboard)."""
    catalogue.add_products(2)
    product = catalogue.products[0]
    product.title = "Chupa ya maji"
    product.save()

    page = client.get("/search/", {"q": "chupa"}).content.decode()

    assert product.get_absolute_url() in page


def test_a_product_hidden_since_indexing_is_left_out_of_listings(catalogue, client, settings):
    """The index can lag behind the database (an update without signals, a bulk import):
    listings show only products still browsable, whether or not their cards are cached."""
    settings.SHOP_PAGE_CACHE_SECONDS = 0  # the listing itself, as a signed-in shopper gets it
    shown, hidden = catalogue.add_products(2, title="Sufuria {number}")
    for url in ("/catalogue/", "/search/?q=sufuria"):
        assert len(POD.findall(client.get(url).content.decode())) == 2  # cards cached

    type(hidden).objects.filter(pk=hidden.pk).update(is_public=False)  # no signal, no reindex

    for url in ("/catalogue/", "/search/?q=sufuria"):
        page = client.get(url).content.decode()
        assert len(POD.findall(page)) == 1, url
        assert shown.get_absolute_url() in page
        assert hidden.get_absolute_url() not in page
