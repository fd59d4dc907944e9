"""Shoppers get the shop's own error pages (Oscar's layout), never Django's: a mistyped
URL lists no URL patterns, a failure shows no traceback. And the embedded run's settings
(inherited by the tests) serve uploaded media without DEBUG."""

from pathlib import Path

import pytest
from django.test import Client

from apps.storefront.views import HomeView

pytestmark = pytest.mark.django_db


def test_a_mistyped_url_gets_the_shops_404_page(client):
    response = client.get("/catalogue/no-such-product_99999/nothing-here/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "shop-navbar" in page  # the shop's layout
    assert "URLconf" not in page and "Using the URLconf" not in page


def test_a_failure_gets_the_shops_500_page(monkeypatch):
    def broken(self, request, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(HomeView, "get", broken)
    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Traceback" not in page and "the database went away" not in page
    assert "<html" in page


def test_uploaded_media_are_served_without_debug(client, settings):
    image = Path(settings.MEDIA_ROOT) / "error-pages-test.txt"
    image.write_text("a product photo")

    response = client.get(f"{settings.MEDIA_URL}error-pages-test.txt")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"a product photo"
