"""Template context for every storefront page."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from apps.storefront.navigation import shopper_nav


def navigation(request: HttpRequest) -> dict:
    """``shop_nav``: the navigation bar's per-shopper facts, read only if a template asks.

    Replaces Oscar's ``notifications`` context processor, which counts the unread
    notifications on every page it renders; ``num_unread_notifications`` keeps its name.
    """
    nav = shopper_nav(request)
    context = {"shop_nav": nav}
    if nav.signed_in:
        context["num_unread_notifications"] = SimpleLazyObject(lambda: nav.unread_notifications)
    return context
