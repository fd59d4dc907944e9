"""Listings and searches ask Whoosh once per catalogue change, not once per page view."""

from unittest import mock

from django.core.management import call_command
from haystack.backends.whoosh_backend import WhooshSearchBackend


def whoosh_calls(client, url: str) -> int:
    with mock.patch.object(
        WhooshSearchBackend, "search", autospec=True, side_effect=WhooshSearchBackend.search
    ) as search:
        assert client.get(url).status_code == 200
    return search.call_count


def test_a_listing_seen_again_does_not_ask_whoosh(catalogue, client):
    catalogue.add_products(3)

    assert whoosh_calls(client, "/catalogue/") >= 1
    assert whoosh_calls(client, "/catalogue/") == 0
    assert whoosh_calls(client, "/search/?q=jiko") >= 1
    assert whoosh_calls(client, "/search/?q=jiko") == 0
    assert whoosh_calls(client, "/search/?q=sufuria") >= 1  # another query: its own answer


def test_an_updated_index_is_searched_at_once(catalogue, client):
    catalogue.add_products(3)
    assert "Jiko la makaa" not in client.get("/search/?q=makaa").content.decode()

    product = catalogue.products[1]
    product.title = "Jiko la makaa"
    product.save()
    call_command("update_index", verbosity=0)

    assert "Jiko la makaa" in client.get("/search/?q=makaa").content.decode()


def test_a_catalogue_change_asks_whoosh_again(catalogue, client):
    catalogue.add_products(3)
    whoosh_calls(client, "/catalogue/")
    stockrecord = catalogue.products[0].stockrecords.get()
    stockrecord.price = 10
    stockrecord.save()

    assert whoosh_calls(client, "/catalogue/") >= 1
