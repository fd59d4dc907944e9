"""The shop's shipping methods, charged in KES with 16% VAT included.

Each charge is a whole-shilling, VAT-inclusive amount (what the shopper sees); the
amount before VAT is derived from it so that Oscar knows both and the checkout's
"taxes are known" check holds.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from oscar.apps.shipping.methods import FixedPrice as CoreFixedPrice
from oscar.apps.shipping.methods import Free, NoShippingRequired

from apps.common.kenya import excluding_vat

__all__ = [
    "CollectInStore",
    "CountrywideCourier",
    "FreeDelivery",
    "NairobiDelivery",
    "NoShippingRequired",
]


class VatInclusiveCharge(CoreFixedPrice):
    """A fixed charge declared by its VAT-inclusive amount in whole shillings."""

    charge_incl_tax: Decimal = Decimal("0")

    def __init__(self) -> None:
        super().__init__(
            charge_excl_tax=excluding_vat(self.charge_incl_tax),
            charge_incl_tax=self.charge_incl_tax,
        )


class NairobiDelivery(VatInclusiveCharge):
    code = "nairobi-delivery"
    name = _("Nairobi delivery")
    description = _("Delivered by rider within Nairobi County, usually the next working day.")
    charge_incl_tax = Decimal("250")


class CountrywideCourier(VatInclusiveCharge):
    code = "countrywide-courier"
    name = _("Countrywide courier")
    description = _("Courier to your town anywhere in Kenya, in 2 to 4 working days.")
    charge_incl_tax = Decimal("450")


class FreeDelivery(Free):
    code = "free-delivery"
    name = _("Free delivery")
    description = _("Free delivery anywhere in Kenya on larger orders.")


class CollectInStore(Free):
    code = "collect-in-store"
    name = _("Collect in store")
    description = _(
        "Collect your order at our shop on Moi Avenue, Nairobi, once we tell you it is ready."
    )
