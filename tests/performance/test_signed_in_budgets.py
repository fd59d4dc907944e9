"""A signed-in shopper's pages run a fixed, small number of SQL queries, however much the
shopper has: basket lines, wish lists, browsing history, notifications, reviews.

Signed-in shoppers get no page cache: every view is rendered for them. Stock Oscar adds
to each page a notifications count, two permission queries and the whole basket with its
offers (eight queries, for the item count), and to the product page two wish list
queries, the stock alert and "may this shopper write a review?" asked twice: 14 queries
for the catalogue, 16 for a category and 27 for a product page by ``make bench``. For this
test's shopper it was 13 for the home page, 19, 21, and 35 for a product page with one
review, 45 with three (Oscar's review partial: five queries a review shown).
"""

import re
import time
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from oscar.core.loading import get_model
from oscar.test.factories import UserFactory

from apps.catalogue import view_counts
from tests.performance.conftest import Catalogue

Notification = get_model("communication", "Notification")
ProductReview = get_model("reviews", "ProductReview")
Vote = get_model("reviews", "Vote")
WishList = get_model("wishlists", "WishList")

# Budgets for a warm page (the second request: the first makes thumbnails and caches the
# product cards, the category menu and sidebar). View counts are written in batches, as in
# production, not by the page (apps/catalogue/view_counts.py).
#: session, user, the navigation's facts (unread notifications, dashboard link, basket count)
HOME_BUDGET = 3
#: session, user, the products (their cards cached: rows and classes only), navigation
LISTING_BUDGET = 4
#: the listing's, plus the category and its subtree's ids for the search
CATEGORY_BUDGET = 6
#: session, user, the product (with the shopper's stock alert and its number of reviews),
#: its stock records, its images, navigation, the breadcrumb's category, may the shopper
#: write a review, their wish lists (each knowing whether it holds the product), attribute
#: values, recommendations, recently viewed products (their cards cached), and the
#: reviews shown with their authors and the shopper's votes
PRODUCT_BUDGET = 13

HOLDS_THE_PRODUCT = re.compile(r"Product is in <a href=\"/accounts/wishlists/[^\"]+\">'Orodha")


@dataclass
class Shopper:
    """A signed-in customer of the measuring catalogue, and what they have."""

    catalogue: Catalogue
    client: Client
    user: object
    lines: int = 0

    def has(self, *, lines: int, wishlists: int, history: int, reviews: int, notes: int):
        """Bring the shopper's things up to these numbers. The product page measured is the
        first product's: it gets the reviews, and every other wish list holds it."""
        products = self.catalogue.products
        for product in products[self.lines + 1 : lines + 1]:
            response = self.client.post(f"/basket/add/{product.pk}/", {"quantity": 2})
            assert response.status_code == 302
        self.lines = max(self.lines, lines)
        for number in range(WishList.objects.filter(owner=self.user).count(), wishlists):
            wishlist = WishList.objects.create(owner=self.user, name=f"Orodha {number}")
            wishlist.add(products[number % 2])
        for product in products[-history:]:
            assert self.client.get(product.get_absolute_url()).status_code == 200
        for number in range(ProductReview.objects.count(), reviews):
            review = ProductReview.objects.create(
                product=products[0],
                user=UserFactory(),
                score=4,
                title=f"Maoni {number}",
                body="Imefika salama.",
                status=ProductReview.APPROVED,
            )
            if number % 2:
                Vote.objects.create(review=review, user=self.user, delta=Vote.UP)
        for number in range(Notification.objects.filter(recipient=self.user).count(), notes):
            Notification.objects.create(recipient=self.user, subject=f"Taarifa {number}")


@pytest.fixture
def batched_view_counts(settings, monkeypatch):
    """View counts kept for a later batch, as in production; written at the end."""
    settings.SHOP_VIEW_COUNT_FLUSH_SECONDS = 3600
    monkeypatch.setattr(view_counts, "_last_flush", time.monotonic())
    yield
    view_counts.flush()


@pytest.fixture
def shopper(catalogue: Catalogue, client: Client, batched_view_counts) -> Shopper:
    catalogue.add_products(30)
    user = UserFactory()
    client.force_login(user)
    return Shopper(catalogue=catalogue, client=client, user=user)


def warm_query_count(client: Client, url: str) -> tuple[int, str]:
    """Queries run by the second request for ``url``, and the page it rendered."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response["X-Shop-Page-Cache"] == "bypass (signed in)"
    return len(queries), response.content.decode()


def few_and_many(shopper: Shopper, url_for) -> tuple[tuple[int, str], tuple[int, str]]:
    shopper.has(lines=1, wishlists=1, history=2, reviews=1, notes=1)
    few = warm_query_count(shopper.client, url_for(shopper.catalogue))
    shopper.has(lines=8, wishlists=6, history=20, reviews=6, notes=5)
    many = warm_query_count(shopper.client, url_for(shopper.catalogue))
    return few, many


@pytest.mark.parametrize(
    ("url_for", "budget"),
    [
        (lambda c: "/", HOME_BUDGET),
        (lambda c: "/catalogue/", LISTING_BUDGET),
        (lambda c: c.category.get_absolute_url(), CATEGORY_BUDGET),
    ],
    ids=["home", "catalogue", "category"],
)
def test_signed_in_page_queries_do_not_grow_with_the_shoppers_things(shopper, url_for, budget):
    (few_queries, few_page), (many_queries, many_page) = few_and_many(shopper, url_for)

    assert few_queries == many_queries, (few_queries, many_queries)
    assert many_queries <= budget, many_queries
    # The navigation shows this shopper's own basket count and notifications.
    assert "data-basket-count>2</span>" in few_page
    assert "data-basket-count>16</span>" in many_page
    assert '<span class="badge badge-warning">1</span>' in few_page
    assert '<span class="badge badge-warning">5</span>' in many_page


def test_signed_in_product_page_queries_do_not_grow_with_the_shoppers_things(shopper):
    (few_queries, few_page), (many_queries, many_page) = few_and_many(
        shopper, lambda c: c.products[0].get_absolute_url()
    )

    assert few_queries == many_queries, (few_queries, many_queries)
    assert many_queries <= PRODUCT_BUDGET, many_queries
    # Everything measured was on the page: two and six recently viewed cards, the wish
    # lists holding the product (one, then three), the reviews (one, then three shown).
    for page, cards, holding, reviews in ((few_page, 2, 1, 1), (many_page, 6, 3, 3)):
        recently_viewed = page.split("Products you recently viewed", 1)[1]
        assert recently_viewed.count("product_pod") == cards
        assert len(HOLDS_THE_PRODUCT.findall(page)) == holding
        assert page.count('<article class="review">') == reviews
        assert 'id="write_review"' in page
