"""Recently viewed products, as many as a page shows."""

from django.http import HttpRequest
from oscar.apps.customer import history as oscar_history

from apps.catalogue.selectors import browsable_products_in_order

#: The product page shows six; one more in case the product shown is among them.
RECENTLY_VIEWED_LOADED = 7
#: Product ids are PostgreSQL bigints (and SQLite integers): nothing outside can be one.
_LARGEST_ID = 2**63 - 1


class CustomerHistoryManager(oscar_history.CustomerHistoryManager):
    @classmethod
    def extract(cls, request: HttpRequest, response=None) -> list[int]:
        """Oscar's reading of the history cookie, keeping only what can be a product id:
        the cookie is the shopper's to write, and an id beyond a database integer made the
        product query fail (a 500 on SQLite)."""
        ids = super().extract(request, response)
        return [
            value
            for value in ids
            if type(value) is int and 0 < value <= _LARGEST_ID  # not bool, float or text
        ][-cls.max_products :]

    @classmethod
    def get(cls, request: HttpRequest) -> list:
        """The most recently viewed products, newest first, as many as a page shows.

        Oscar loads every product of the history (up to 20) without their relations, and
        the product page renders six of them as cards: thirty extra queries for a
        shopper who has looked around. Here one query, and the cards' template
        (``customer/history/recently_viewed_products.html``) reads what the cards it
        shows need, if their HTML is not cached.
        """
        return browsable_products_in_order(
            reversed(cls.extract(request)), limit=RECENTLY_VIEWED_LOADED
        )
