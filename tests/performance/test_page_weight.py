"""A phone's first load of the home and catalogue pages stays under 500 KB on the wire."""

import pytest
from django.core.management import call_command

from bench.page_weight import measure

pytestmark = pytest.mark.django_db

BUDGET_BYTES = 500 * 1024


def test_first_load_of_home_and_catalogue_on_a_phone_is_under_500_kb(search_index):
    # The demo shop: real product pictures, a featured range, every department.
    call_command("load_demo_shop", verbosity=0)

    for url in ("/", "/catalogue/"):
        weight = measure(url)

        kinds = {kind for kind, _, _ in weight.assets}
        assert {"css", "js", "image", "font"} <= kinds, url  # all it pulls in is weighed
        images = [asset for asset in weight.assets if asset[0] == "image"]
        assert len(images) >= 8, url  # the product thumbnails are counted
        sizes = {asset_url: size for _, asset_url, size in weight.assets}
        # Oscar's stylesheet, ~280 KB as a file, is weighed gzipped as WhiteNoise serves it.
        assert 20 * 1024 < sizes["/static/oscar/css/styles.css"] < 80 * 1024
        assert weight.total_bytes < BUDGET_BYTES, "\n".join(weight.lines())
