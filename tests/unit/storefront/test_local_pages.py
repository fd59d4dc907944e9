"""A worker's own copies of cached pages: bounded in size, and never served for another
catalogue version or past the cache's lifetime (apps/storefront/page_cache.py)."""

import time

from apps.storefront.page_cache import CSRF_TOKEN, LocalPages, Page, PageHoles, make_page


def page(version: int, kilobytes: int = 1, expires_in: float = 60) -> Page:
    return Page(version, None, time.time() + expires_in, (b"x" * 1024 * kilobytes,), (), None)


def test_a_copy_is_served_for_its_own_version_only():
    pages = LocalPages()
    pages.put("catalogue", page(version=7))

    assert pages.get("catalogue", 7).version == 7
    assert pages.get("catalogue", 8) is None
    assert pages.get("catalogue", 7) is None  # dropped once found stale


def test_a_copy_past_the_cache_lifetime_is_not_served():
    pages = LocalPages()
    pages.put("catalogue", page(version=7, expires_in=-1))

    assert pages.get("catalogue", 7) is None


def test_the_least_recently_served_copies_go_first_beyond_the_limit(settings):
    settings.SHOP_PAGE_CACHE_LOCAL_MB = 1
    pages = LocalPages()
    for n in range(4):
        pages.put(f"page-{n}", page(version=1, kilobytes=300))
    # 4 x 300 KB > 1 MB: the first one went; page-1 is served, so page-2 goes next.
    assert pages.get("page-0", 1) is None
    assert pages.get("page-1", 1) is not None

    pages.put("page-4", page(version=1, kilobytes=300))

    assert pages.get("page-2", 1) is None
    assert [pages.get(f"page-{n}", 1) is not None for n in (1, 3, 4)] == [True] * 3


def test_a_page_is_cut_at_its_holes_and_keeps_every_byte(settings):
    holes = PageHoles.drawn()
    token = holes.csrf_token
    html = f"<p>Bei ya Jiko\u00a0KSh 1,250</p><form>{token}</form><i>{token}"

    cut = make_page(html, "utf-8", version=3, product_id=None, holes=holes)

    assert cut.holes == (CSRF_TOKEN, CSRF_TOKEN)
    assert b"".join(cut.segments) == html.replace(token, "").encode()
    assert cut.expires_at > time.time() + settings.SHOP_PAGE_CACHE_SECONDS - 5


def test_a_page_is_cut_only_at_the_placeholders_of_its_own_render():
    """Another render's placeholders (or any text like them) are text, not holes."""
    earlier, holes = PageHoles.drawn(), PageHoles.drawn()
    html = f"<p>{earlier.csrf_token} {earlier.basket_count}</p><form>{holes.csrf_token}</form>"

    cut = make_page(html, "utf-8", version=3, product_id=None, holes=holes)

    assert cut.holes == (CSRF_TOKEN,)
    assert cut.segments[0] == f"<p>{earlier.csrf_token} {earlier.basket_count}</p><form>".encode()
