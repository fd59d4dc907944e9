import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (thumbnails, tokens, throttles, pages)."""
    from django.core.cache import cache

    from apps.storefront.page_cache import local_pages

    cache.clear()
    local_pages.clear()
    yield
    cache.clear()
    local_pages.clear()


@pytest.fixture
def page_cache_off(settings):
    """Pages rendered on every request, as for a signed-in shopper: for tests that measure
    the rendering itself (query budgets, cached fragments) rather than the page cache."""
    settings.SHOP_PAGE_CACHE_SECONDS = 0
