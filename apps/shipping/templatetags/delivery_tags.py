"""``{% free_delivery_nudge basket as nudge %}``: how far the basket is from free delivery."""

from django import template

from apps.shipping.repository import FreeDeliveryNudge, free_delivery_nudge

register = template.Library()


@register.simple_tag(name="free_delivery_nudge")
def free_delivery_nudge_tag(basket) -> FreeDeliveryNudge | None:
    return free_delivery_nudge(basket) if basket is not None else None
