"""Oscar's checkout session mixin, deciding whether the basket may be bought on the stock as
it is now.

The basket's lines are loaded once per request with their stock records (for the prices,
in a fixed number of queries: apps/basket/models.py); Oscar's check then read the stock
as it was when the lines were loaded, so an allocation made since (another shopper's
order taking the last items) went unseen.
"""

from oscar.apps.checkout import session


class CheckoutSessionMixin(session.CheckoutSessionMixin):
    def check_basket_is_valid(self, request):
        """Oscar's check, on the lines' stock levels read again (one query)."""
        request.basket.reload_stock()
        super().check_basket_is_valid(request)
