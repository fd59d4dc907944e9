"""The search page says what it did with the query: the words it searched instead of
misspelt ones, that only some words were found, and for a search that finds nothing, the
catalogue's closest words as links."""

from urllib.parse import urlencode

import pytest

from tests.functional.search.pages import card_titles

pytestmark = pytest.mark.django_db


def search(app, query: str):
    return app.get("/search/?" + urlencode({"q": query}))


def text_of(page, selector: str) -> str:
    found = page.html.select_one(selector)
    return found.get_text(" ", strip=True) if found is not None else ""


def test_a_misspelt_word_is_searched_as_the_catalogue_writes_it_and_the_page_says_so(
    django_app, demo_catalogue
):
    page = search(django_app, "kitengee")

    assert "Kitenge wrap dress" in card_titles(page)
    assert "Showing results for kitenge" in text_of(page, "[data-search-corrected]")


def test_words_found_only_apart_show_what_some_of_them_find(django_app, demo_catalogue):
    page = search(django_app, "kettle kikoi")

    titles = card_titles(page)
    assert "Electric kettle 1.7 litres" in titles and "Cotton kikoi towel" in titles
    assert "No product matches every word" in text_of(page, "[data-search-partial]")


def test_a_search_that_finds_nothing_offers_the_closest_words(django_app, demo_catalogue):
    page = search(django_app, "kangaroo")

    assert card_titles(page) == []
    links = page.html.select("[data-search-suggestions] a")
    assert links, page.html.select_one("[data-no-results]")
    assert all(link["href"].startswith("/search/?q=") for link in links)
    assert "kanga" in [link.get_text(strip=True) for link in links]
