"""The basket, loading its lines with what pricing them reads, in a fixed number of queries.

Oscar's ``Basket.all_lines`` prefetches each line's product and images, but the pricing
strategy then reads every line's product class and stock records one line at a time:
four queries per line on the basket page and on every checkout step.
"""

from django.db.models import QuerySet
from oscar.apps.basket.abstract_models import AbstractBasket


class Basket(AbstractBasket):
    def all_lines(self) -> QuerySet:
        if self.id is None:
            return self.lines.model.objects.none()
        if self._lines is None:
            self._lines = (
                self.lines.select_related(
                    "product__product_class", "product__parent__product_class", "stockrecord"
                )
                .prefetch_related("attributes", "product__images", "product__stockrecords")
                .order_by(self._meta.pk.name)
            )
        return self._lines


from oscar.apps.basket.models import *  # noqa: E402, F403
