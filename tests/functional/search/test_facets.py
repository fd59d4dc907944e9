"""The filters beside the catalogue (/catalogue/) and the search results (/search/?q=…).

What must hold, read from the page and its links as a shopper follows them:

- "Type" (the product class) names the types as the shop does: Electronics, Household,
  Clothing, Groceries, Digital, never an index's stems ("electron", "groceri").
- A filter with nothing to offer is not shown: no product has a rating, so no "Rating".
- Price ranges are in shillings ("KSh"); choosing one lists only products priced in it,
  and on a search it narrows the search's own results (the words are kept).
- "In stock" lists what can be bought now: everything but the two demo products out of
  stock (goods whose stock is not tracked, e-books and vouchers, are always available),
  and on a search it narrows the search's results.
- The number beside each choice is the number of products listed once it is chosen.
"""

import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from apps.demo import data as demo_data

from .pages import PRICE_OF_TITLE, FacetItem, all_facet_items, card_titles, facets, listed_titles

pytestmark = pytest.mark.django_db

PRODUCT_TYPES = {product_class.name for product_class in demo_data.PRODUCT_CLASSES}
ALL_TITLES = {product.title for product in demo_data.PRODUCTS}
OUT_OF_STOCK = {product.title for product in demo_data.PRODUCTS if product.num_in_stock == 0}

#: Searches whose results span several product types and prices.
SEARCHES = ("chai", "leather", "charger")
#: A search that finds a product out of stock, and that product.
SEARCH_WITH_ONE_OUT_OF_STOCK = ("charger", "Solar lantern with phone charger")

def search_url(query: str) -> str:
    return "/search/?" + urlencode({"q": query})


def facet_named(page, word: str) -> list[FacetItem]:
    """The choices of the filter whose heading holds ``word`` (e.g. "price")."""
    for name, items in facets(page).items():
        if word.lower() in name.lower():
            return items
    return []


def price_bounds(label: str) -> tuple[Decimal, Decimal]:
    """The prices a range's label covers, both ends included: "KSh 1,000 to 2,500",
    "Under KSh 500", "KSh 5,000+"."""
    amounts = [Decimal(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", label)]
    if len(amounts) == 2:
        return amounts[0], amounts[1]
    if len(amounts) == 1 and re.search(r"under|below|up to|less|<", label, re.IGNORECASE):
        return Decimal(0), amounts[0]
    if len(amounts) == 1 and re.search(r"\+|over|above|more|from", label, re.IGNORECASE):
        return amounts[0], Decimal("Infinity")
    raise AssertionError(f"cannot read a price range from {label!r}")


def test_the_type_filter_names_the_product_types(django_app, demo_catalogue):
    catalogue = django_app.get("/catalogue/")
    assert {item.label for item in facet_named(catalogue, "type")} == PRODUCT_TYPES

    for query in SEARCHES:
        labels = {item.label for item in facet_named(django_app.get(search_url(query)), "type")}
        assert labels, query
        assert labels <= PRODUCT_TYPES, query


def test_a_filter_with_nothing_to_offer_is_not_shown(django_app, demo_catalogue):
    for url in ("/catalogue/", search_url("phone")):
        shown = facets(django_app.get(url))
        assert shown, url  # the other filters are there
        assert not any("rating" in name.lower() for name in shown), url


def test_price_ranges_are_offered_in_shillings(django_app, demo_catalogue):
    ranges = facet_named(django_app.get("/catalogue/"), "price")

    assert len(ranges) >= 2
    for item in ranges:
        assert "KSh" in item.label, item.label
        price_bounds(item.label)


def test_choosing_a_price_range_lists_only_products_priced_in_it(django_app, demo_catalogue):
    ranges = [item for item in facet_named(django_app.get("/catalogue/"), "price") if item.url]
    assert ranges

    listed_somewhere = set()
    for item in ranges:
        low, high = price_bounds(item.label)
        listed = listed_titles(django_app, item.url)
        outside = [title for title in listed if not low <= PRICE_OF_TITLE[title] <= high]
        assert not outside, f"{item.label}: {outside}"
        # A price on a boundary ("to 1,000", "1,000 to") may belong to either range.
        inside = {title for title in ALL_TITLES if low < PRICE_OF_TITLE[title] < high}
        assert inside <= set(listed), f"{item.label}: missing {inside - set(listed)}"
        listed_somewhere |= set(listed)
    assert listed_somewhere == ALL_TITLES, "products in no range"


def test_a_price_range_narrows_the_search_results(django_app, demo_catalogue):
    for query in SEARCHES:
        page = django_app.get(search_url(query))
        found = listed_titles(django_app, search_url(query))
        ranges = [item for item in facet_named(page, "price") if item.url]
        assert ranges, query

        for item in ranges:
            low, high = price_bounds(item.label)
            narrowed = django_app.get(item.url)
            assert narrowed.html.select_one("#main input[name=q]")["value"] == query
            listed = listed_titles(django_app, item.url)
            wanted = [title for title in found if low <= PRICE_OF_TITLE[title] <= high]
            assert sorted(listed) == sorted(wanted), f"{query!r} in {item.label}"


def test_in_stock_lists_only_what_can_be_bought_now(django_app, demo_catalogue):
    assert len(OUT_OF_STOCK) == 2
    in_stock = in_stock_choice(django_app.get("/catalogue/"))

    assert set(listed_titles(django_app, in_stock.url)) == ALL_TITLES - OUT_OF_STOCK


def test_in_stock_narrows_the_search_results(django_app, demo_catalogue):
    query, out_of_stock = SEARCH_WITH_ONE_OUT_OF_STOCK
    found = listed_titles(django_app, search_url(query))
    assert out_of_stock in found
    in_stock = in_stock_choice(django_app.get(search_url(query)))

    listed = listed_titles(django_app, in_stock.url)

    assert sorted(listed) == sorted(set(found) - OUT_OF_STOCK)


def in_stock_choice(page) -> FacetItem:
    choices = [item for _, item in all_facet_items(page) if item.label.lower() == "in stock"]
    assert len(choices) == 1, f"no single 'In stock' choice among {facets(page)}"
    assert choices[0].url
    return choices[0]


@pytest.mark.parametrize("url", ["/catalogue/", search_url("chai")])
def test_the_number_beside_each_choice_is_the_number_of_products_it_lists(
    django_app, demo_catalogue, url
):
    choices = [(name, item) for name, item in all_facet_items(django_app.get(url)) if item.url]
    assert choices

    wrong = []
    for name, item in choices:
        assert item.count is not None, f"{name}: {item.label} shows no count"
        listed = len(listed_titles(django_app, item.url))
        if listed != item.count:
            wrong.append(f"{name}: {item.label} says {item.count}, lists {listed}")
    assert not wrong, "\n".join(wrong)


def test_the_pages_list_products(django_app, demo_catalogue):
    """The reading of the pages above is sound: the catalogue lists every product, and
    a search lists products."""
    assert set(listed_titles(django_app, "/catalogue/")) == ALL_TITLES
    assert card_titles(django_app.get(search_url("chai")))
