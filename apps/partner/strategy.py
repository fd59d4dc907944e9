"""The shop's pricing strategy: Oscar's default (the first stock record, stock required)
with the shop's one tax policy, the one its shipping charges follow too.

Kenyan prices are quoted with VAT in: a stock record's price is what the shopper pays
(``incl_tax``); the part before VAT is worked out from it to the cent
(``apps.common.kenya.excluding_vat``, at ``SHOP_VAT_RATE``) and the VAT is the rest, so
basket, order, M-Pesa prompt and emails all carry the same whole-shilling total, with its
VAT part known. At a rate of 0 (a shop not registered for VAT) the tax is 0.
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from oscar.apps.partner import prices
from oscar.apps.partner.availability import StockRequired as StockRequiredAvailability
from oscar.apps.partner.strategy import Selector as CoreSelector
from oscar.apps.partner.strategy import StockRequired, Structured, UseFirstStockRecord

from apps.common.kenya import excluding_vat


def vat_inclusive_price(price_incl_vat: Decimal, currency: str) -> prices.TaxInclusiveFixedPrice:
    """A price whose VAT-inclusive amount is ``price_incl_vat`` exactly.

    Oscar's ``TaxInclusiveFixedPrice`` also makes offers discount the price the shopper
    sees (VAT included) rather than the amount before VAT.
    """
    excl_vat = excluding_vat(price_incl_vat)
    return prices.TaxInclusiveFixedPrice(
        currency=currency, excl_tax=excl_vat, tax=price_incl_vat - excl_vat
    )


class VatInclusive:
    """Pricing policy mixin for ``Structured``: the stock record's price includes VAT.

    Reads only the stock record it is given, as Oscar's ``NoTax`` does, so pricing costs
    no query more than Oscar's default.
    """

    def pricing_policy(self, product, stockrecord):
        if not stockrecord or stockrecord.price is None:
            return prices.Unavailable()
        return vat_inclusive_price(stockrecord.price, stockrecord.price_currency)

    def parent_pricing_policy(self, product, children_stock):
        stockrecords = [stockrecord for _, stockrecord in children_stock if stockrecord]
        if not stockrecords:
            return prices.Unavailable()
        # As Oscar's policies do: a parent shows its first child's price.
        first = stockrecords[0]
        return vat_inclusive_price(first.price, first.price_currency)


class NamedStockAvailability(StockRequiredAvailability):
    """Oscar's stock-required availability, whose refusals name the product: "Only 24 of
    Electric kettle 1.7 litres can be bought." instead of "a maximum of 24 can be bought"
    (a basket page lists several products, a phone shows one message at a time). The
    title is read only for a refusal."""

    def __init__(self, num_available, product):
        super().__init__(num_available)
        self.product = product

    def is_purchase_permitted(self, quantity):
        permitted, reason = super().is_purchase_permitted(quantity)
        if permitted:
            return permitted, reason
        title = self.product.get_title()
        if self.num_available <= 0:
            return False, _("%(product)s is out of stock.") % {"product": title}
        return False, _("Only %(max)d of %(product)s can be bought.") % {
            "max": self.num_available,
            "product": title,
        }


class NamedStockRequired(StockRequired):
    """Oscar's ``StockRequired`` with ``NamedStockAvailability`` for tracked stock."""

    def availability_policy(self, product, stockrecord):
        policy = super().availability_policy(product, stockrecord)
        if isinstance(policy, StockRequiredAvailability):
            return NamedStockAvailability(policy.num_available, product)
        return policy


class Default(UseFirstStockRecord, NamedStockRequired, VatInclusive, Structured):
    """Oscar's ``Default`` strategy with VAT-inclusive prices instead of ``NoTax``."""


class Selector(CoreSelector):
    def strategy(self, request=None, user=None, **kwargs):
        return Default(request)
