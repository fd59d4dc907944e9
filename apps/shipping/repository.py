"""Which shipping methods a basket may use, by where it goes and what it costs."""

from dataclasses import dataclass
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


@dataclass(frozen=True)
class FreeDeliveryNudge:
    """How far a basket is from free delivery, for the basket page and checkout summary."""

    threshold: Decimal
    remaining: Decimal

    @property
    def qualifies(self) -> bool:
        return self.remaining <= 0

    @property
    def progress_percent(self) -> int:
        if self.qualifies or self.threshold <= 0:
            return 100
        return int((self.threshold - self.remaining) * 100 / self.threshold)


def free_delivery_nudge(basket: Any) -> FreeDeliveryNudge | None:
    """The free-delivery nudge for a basket that is delivered, else None (an empty basket,
    or one with nothing to deliver). The threshold is the same one the repository applies:
    the basket's total with VAT, after its discounts."""
    if not basket.num_lines or not basket.is_shipping_required():
        return None
    threshold = free_delivery_threshold()
    remaining = max(threshold - basket.total_incl_tax, Decimal("0"))
    return FreeDeliveryNudge(threshold=threshold, remaining=remaining)
