"""The basket, loading its lines with what pricing them reads, in a fixed number of queries.

Oscar's ``Basket.all_lines`` prefetches each line's product and images, but the pricing
strategy then reads every line's product class and stock records one line at a time:
four queries per line on the basket page and on every checkout step.

Stock records loaded with the lines hold the stock as it was then. Whatever decides
whether the basket may still be bought reads the stock again first (``reload_stock``, one
query): the checkout's basket check does (apps/checkout/session.py), on every step and
once more right before the M-Pesa prompt, so stock that another shopper's order
allocated in the meantime is seen.
"""

from django.db.models import QuerySet
from oscar.apps.basket.abstract_models import AbstractBasket
from oscar.core.loading import get_model


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

    def reload_stock(self) -> None:
        """Read the stock levels of the loaded lines' stock records again, in one query, into
        the records the lines hold (each line's own and its product's, which the strategy
        reads). Only the levels: prices stay as the basket was priced for this request."""
        records = []
        for line in self.all_lines():
            if line.stockrecord is not None:
                records.append(line.stockrecord)
            records.extend(line.product.stockrecords.all())
        if not records:
            return
        StockRecord = get_model("partner", "StockRecord")
        levels = {
            pk: (in_stock, allocated)
            for pk, in_stock, allocated in StockRecord.objects.filter(
                pk__in={record.pk for record in records}
            ).values_list("pk", "num_in_stock", "num_allocated")
        }
        for record in records:
            # A stock record deleted since has nothing left to sell.
            record.num_in_stock, record.num_allocated = levels.get(record.pk, (0, 0))


from oscar.apps.basket.models import *  # noqa: E402, F403
