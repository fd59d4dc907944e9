"""The history cookie is the shopper's to write: whatever it holds, pages answer."""

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "cookie",
    [
        "[9999999999999999999999]",
        '[-1, 0, 1.5, true, "7", [1], {"a": 1}, null]',
        json.dumps(list(range(10_000))),
        "not json",
        '{"a": 1}',
    ],
)
def test_any_history_cookie_leaves_product_pages_working(client, catalogue, cookie):
    client.cookies["oscar_history"] = cookie

    for url in (catalogue.kettle.get_absolute_url(), "/", "/catalogue/"):
        assert client.get(url).status_code == 200, url


def test_the_real_history_still_shows_what_was_viewed(client, catalogue, page_cache_off):
    client.get(catalogue.kettle.get_absolute_url())
    assert json.loads(client.cookies["oscar_history"].value) == [catalogue.kettle.pk]

    page = client.get(catalogue.sufuria.get_absolute_url()).content.decode()

    assert "Electric kettle 1.7 litres" in page
