"""The order summary beside each checkout step: what the shopper is buying, what it costs
so far (items, discounts, delivery once chosen, total) and how far it is from free
delivery; on the preview, the "Place order and pay" button too, so that a phone reaches it
without scrolling past the whole order."""

from decimal import Decimal

from django import template

from apps.shipping.repository import free_delivery_nudge

register = template.Library()

#: Checkout pages after the order is placed: the basket is gone by then, and a basket
#: filled since (another tab) is not what these pages are about.
AFTER_PLACING = frozenset(
    {"thank-you", "mpesa-wait", "mpesa-status", "mpesa-resend", "mpesa-cancel"}
)


@register.simple_tag(takes_context=True)
def checkout_summary_shown(context) -> bool:
    request = context.get("request")
    basket = getattr(request, "basket", None)
    if basket is None or not basket.num_lines:
        return False
    match = request.resolver_match
    return match is None or match.url_name not in AFTER_PLACING


@register.inclusion_tag("oscar/checkout/partials/order_summary.html", takes_context=True)
def checkout_order_summary(context) -> dict:
    request = context["request"]
    basket = request.basket
    shipping_method = context.get("shipping_method")
    shipping_charge = context.get("shipping_charge")
    order_total = context.get("order_total")
    items = basket.total_incl_tax_excl_discounts
    if order_total is not None and order_total.is_tax_known:
        total = order_total.incl_tax
    else:
        total = basket.total_incl_tax
    match = request.resolver_match
    return {
        "basket": basket,
        "lines": basket.all_lines(),
        "items_total": items,
        "discount": items - basket.total_incl_tax,
        "shipping_method": shipping_method if shipping_charge is not None else None,
        "shipping_charge": shipping_charge.incl_tax if shipping_charge is not None else None,
        "delivery_needed": basket.is_shipping_required(),
        "total": total,
        "total_is_final": order_total is not None,
        "nudge": free_delivery_nudge(basket),
        "place_order_here": match is not None and match.url_name == "preview",
        "currency": basket.currency or "KES",
        "zero": Decimal("0"),
    }
