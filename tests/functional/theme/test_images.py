"""Product images: a placeholder for products without one, thumbnails made once and cached."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model

from apps.demo.loader import product_card_png

ProductImage = get_model("catalogue", "ProductImage")

pytestmark = pytest.mark.django_db

CARD_IMAGE = re.compile(r'<img src="(/media/cache/[^"]+)" alt="([^"]*)"')


def thumbnail_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT) / "cache"
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def test_a_product_without_an_image_shows_the_placeholder_thumbnail(client, catalogue):
    page = client.get("/catalogue/").content.decode()

    cards = dict((alt, src) for src, alt in CARD_IMAGE.findall(page))
    kettle_src = cards["Electric kettle 1.7 litres"]
    placeholder = Path(settings.MEDIA_ROOT) / settings.OSCAR_MISSING_IMAGE_URL
    assert placeholder.exists()
    assert os.path.exists(os.path.join(settings.MEDIA_ROOT, kettle_src.removeprefix("/media/")))
    # Every product of the fixture lacks an image: all cards share the one placeholder.
    assert len(set(cards.values())) == 1


def test_a_listing_shown_again_makes_no_new_thumbnails_and_asks_no_database(client, catalogue):
    for number, product in enumerate([catalogue.kettle, catalogue.sufuria]):
        image = ProductImage(product=product, display_order=0)
        image.original.save(f"card-{number}.png", ContentFile(product_card_png("K", (9, 99, 9))))

    before = thumbnail_files()
    first = client.get("/catalogue/").content.decode()
    made = thumbnail_files()
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/catalogue/").content.decode()

    assert len(made - before) >= 2  # the two products' own thumbnails, at least
    assert thumbnail_files() == made
    assert CARD_IMAGE.findall(second) == CARD_IMAGE.findall(first)
    assert not [q for q in queries.captured_queries if "thumbnail_kvstore" in q["sql"]]
