"""Oscar's checkout session mixin, deciding whether the basket may be bought on the stock as
it is now, and sending a shopper whose basket became an unpaid order back to that order.

The basket's lines are loaded once per request with their stock records (for the prices,
in a fixed number of queries: apps/basket/models.py); Oscar's check then read the stock
as it was when the lines were loaded, so an allocation made since (another shopper's
order taking the last items) went unseen.

Placing an order empties the basket: Back, a refresh, a second tab or ``/checkout/``
afterwards met Oscar's "You need to add some items" and lost the order
(``apps.checkout.unpaid``).
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from oscar.apps.checkout import session
from oscar.apps.checkout.exceptions import FailedPreCondition

from .unpaid import checkout_unpaid_order


class CheckoutSessionMixin(session.CheckoutSessionMixin):
    def check_basket_is_not_empty(self, request):
        """Oscar's, except that an empty basket whose shopper has an unpaid order goes to
        that order's payment page."""
        if not request.basket.is_empty:  # (counts the lines: asked once)
            return
        if order := checkout_unpaid_order(request):
            raise FailedPreCondition(
                url=order.pay_url,
                message=_("Order %(number)s is waiting for payment. Pay for it here.")
                % {"number": order.number},
            )
        raise FailedPreCondition(
            url=reverse("basket:summary"),
            message=_("You need to add some items to your basket to checkout"),
        )

    def check_basket_is_valid(self, request):
        """Oscar's check, on the lines' stock levels read again (one query), each refusal
        told as the availability policy words it: it names the product ("Electric kettle
        is out of stock.", "Only 2 of Electric kettle can be bought."), where Oscar
        wrapped it in "'Electric kettle' is no longer available to buy (...)"."""
        request.basket.reload_stock()
        refusals = []
        for line in request.basket.all_lines():
            availability = request.strategy.fetch_for_line(line).availability
            permitted, reason = availability.is_purchase_permitted(line.quantity)
            if not permitted:
                refusals.append(
                    _("%(reason)s Please change your basket to continue.") % {"reason": reason}
                )
        if refusals:
            raise FailedPreCondition(url=reverse("basket:summary"), messages=refusals)
