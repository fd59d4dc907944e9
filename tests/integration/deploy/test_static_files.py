"""Static files as production serves them: collectstatic with hashed, compressed names, and
WhiteNoise answering for them from the app.

Every page renders ``{% static %}`` through the manifest: a template naming a file that
collectstatic did not produce fails the page (a 500 in production), so the shop's main pages
are rendered here with the production storage and middleware.
"""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from oscar.test import factories

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE = "whitenoise.middleware.WhiteNoiseMiddleware"
HASHED_SHOP_CSS = re.compile(r"/static/shop/css/shop\.[0-9a-f]{12}\.css")
HASHED_STATIC = re.compile(r"/static/[\w/.-]+\.[0-9a-f]{12}\.(?:css|js)")
UNHASHED_STATIC = re.compile(r"/static/[\w/.-]+?(?<!\.[0-9a-f]{12})\.(?:css|js)\b")


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=str(root), STORAGES=PRODUCTION_STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def production_static(static_root):
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.middleware.security.SecurityMiddleware") + 1, WHITENOISE
    )
    with override_settings(
        STATIC_ROOT=str(static_root), STORAGES=PRODUCTION_STORAGES, MIDDLEWARE=middleware
    ):
        yield Client()


def test_collectstatic_writes_hashed_and_compressed_copies(static_root):
    hashed = list((static_root / "shop" / "css").glob("shop.*.css"))
    assert [path.name for path in hashed if HASHED_SHOP_CSS.search("/static/shop/css/" + path.name)]
    assert (static_root / "staticfiles.json").exists()
    assert list((static_root / "shop" / "css").glob("shop.*.css.gz"))


@pytest.mark.django_db
def test_the_shops_pages_render_with_hashed_static_urls(production_static):
    product = factories.create_product(title="Jiko ya mkaa", price=Decimal("1800"), num_in_stock=4)
    storefront = ("/", "/catalogue/", product.get_absolute_url(), "/basket/", "/accounts/login/")
    for url in (*storefront, "/dashboard/login/"):
        response = production_static.get(url, follow=True)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert HASHED_STATIC.search(html), url
        assert not UNHASHED_STATIC.search(html), (url, UNHASHED_STATIC.search(html))
        if url in storefront:
            assert HASHED_SHOP_CSS.search(html), url


@pytest.mark.django_db
def test_a_missing_page_renders_the_shops_404_with_hashed_static_urls(production_static):
    response = production_static.get("/no-such-page/")
    assert response.status_code == 404
    assert HASHED_SHOP_CSS.search(response.content.decode())


@pytest.mark.django_db
def test_whitenoise_serves_hashed_files_compressed_and_cached_for_ever(production_static):
    page = production_static.get("/").content.decode()
    css_url = HASHED_SHOP_CSS.search(page).group(0)

    response = production_static.get(css_url, headers={"accept-encoding": "gzip"})

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
    assert response["Content-Type"].startswith("text/css")
