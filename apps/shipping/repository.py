"""Which shipping methods a basket may use, by where it goes and what it costs."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from oscar.apps.shipping import repository
from oscar.apps.shipping.methods import Base

from apps.common.kenya import NAIROBI
from apps.shipping.methods import CollectInStore, CountrywideCourier, FreeDelivery, NairobiDelivery


def free_delivery_threshold() -> Decimal:
    """The basket total (KES, VAT included) from which delivery is free."""
    return Decimal(str(settings.SHOP_FREE_DELIVERY_THRESHOLD))


#: How shoppers write Nairobi in a free-text county field (saved address-book entries).
NAIROBI_SPELLINGS = frozenset(
    spelling.casefold()
    for spelling in (NAIROBI, "Nairobi City", "Nairobi County", "Nairobi City County")
)


def is_nairobi(shipping_addr: Any) -> bool:
    county = " ".join((getattr(shipping_addr, "state", "") or "").split())
    return county.casefold() in NAIROBI_SPELLINGS


class Repository(repository.Repository):
    """Offers the methods that fit the basket and the address.

    The first method is the default Oscar shows on the basket page before an
    address is known, so the cheapest sensible delivery comes first.
    """

    def get_available_shipping_methods(
        self, basket: Any, shipping_addr: Any = None, **kwargs: Any
    ) -> list[Base]:
        if basket.total_incl_tax >= free_delivery_threshold():
            return [FreeDelivery(), CollectInStore()]
        methods: list[Base] = []
        if is_nairobi(shipping_addr):
            methods.append(NairobiDelivery())
        methods += [CountrywideCourier(), CollectInStore()]
        return methods
