"""What the navigation bar shows a signed-in shopper, read in one query per request, and
the order a shopper has not paid yet ("Order N is waiting for payment — Pay now").

Oscar reads each of these on its own, on every page: the unread notifications (a context
processor), whether to link the dashboard (``perms.partner.dashboard_access``: the user's
and their groups' permissions, two queries) and the basket's item count (the whole basket
with its lines, vouchers and offers applied: eight queries, to print one number). Here
they are subqueries of one SELECT, run the first time a template asks for one of them and
kept on the request. Nothing is cached between requests, so a new notification, a
permission granted or an item added shows on the next page.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Subquery, Sum
from django.http import HttpRequest
from django.utils.functional import cached_property, empty
from oscar.core.loading import get_model

from apps.checkout import unpaid
from apps.common.queries import total_per_row

Basket = get_model("basket", "Basket")
Line = get_model("basket", "Line")
Notification = get_model("communication", "Notification")
User = get_user_model()

DASHBOARD_PERMISSION = "partner.dashboard_access"


def _facts_query(user_pk: int):
    own = OuterRef("pk")
    return User._default_manager.filter(pk=user_pk).annotate(
        unread_notifications=total_per_row(
            Notification.objects.filter(date_read=None), "recipient", Count("pk")
        ),
        # ModelBackend (the only backends configured) grants a permission only through
        # the user's own permissions or their groups: with neither, the answer is no.
        may_hold_permissions=Exists(User.user_permissions.through.objects.filter(user=own))
        | Exists(User.groups.through.objects.filter(user=own)),
        open_baskets=total_per_row(Basket.open.all(), "owner", Count("pk")),
        basket_items=total_per_row(
            Line.objects.filter(basket__status=Basket.OPEN), "basket__owner", Sum("quantity")
        ),
        unpaid_order_number=Subquery(unpaid.pending_orders_of(own).values("number")[:1]),
    )


class ShopperNav:
    """The navigation bar's per-shopper facts for one request (``shopper_nav(request)``)."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        user = getattr(request, "user", None)
        self.signed_in = bool(user is not None and user.is_authenticated)

    @cached_property
    def _facts(self) -> dict[str, Any]:
        facts = _facts_query(self.request.user.pk).values(
            "unread_notifications",
            "may_hold_permissions",
            "open_baskets",
            "basket_items",
            "unpaid_order_number",
        )
        return facts.first() or {
            "unread_notifications": 0,
            "may_hold_permissions": False,
            "open_baskets": 0,
            "basket_items": 0,
            "unpaid_order_number": None,
        }

    @cached_property
    def unpaid_order(self) -> unpaid.UnpaidOrder | None:
        """The order this shopper has not paid yet: a signed-in shopper's latest (in the
        one query), else the one this browser placed (its cookie: one query, none
        without it)."""
        if self.signed_in and (number := self._facts["unpaid_order_number"]):
            return unpaid.unpaid(number)
        return unpaid.cookie_unpaid_order(self.request)

    @property
    def unread_notifications(self) -> int:
        """What Oscar's ``notifications`` context processor counts."""
        return self._facts["unread_notifications"] if self.signed_in else 0

    @cached_property
    def dashboard_access(self) -> bool:
        """Oscar's test for the dashboard link: staff, or ``partner.dashboard_access``."""
        if not self.signed_in:
            return False
        user = self.request.user
        if user.is_staff:
            return True
        if not user.is_superuser and not self._facts["may_hold_permissions"]:
            return False
        return user.has_perm(DASHBOARD_PERMISSION)

    @property
    def basket_items(self) -> int:
        """The basket's item count, as ``request.basket.num_items`` gives it.

        The basket itself is loaded when it has to be: for a shopper who is not signed in,
        when the view has loaded it already, when a basket from before signing in waits
        to be merged (Oscar merges it as it loads the basket) and when the shopper has
        several open baskets (which Oscar merges too).
        """
        if not self.signed_in or self._basket_must_load():
            return self.request.basket.num_items
        facts = self._facts
        if facts["open_baskets"] > 1:
            return self.request.basket.num_items
        return facts["basket_items"]

    def _basket_must_load(self) -> bool:
        basket = getattr(self.request, "basket", None)
        if basket is None:
            return False
        loaded = getattr(basket, "_wrapped", empty) is not empty
        return loaded or settings.OSCAR_BASKET_COOKIE_OPEN in self.request.COOKIES


def shopper_nav(request: HttpRequest) -> ShopperNav:
    """This request's navigation facts, read at most once."""
    nav = getattr(request, "_shop_nav", None)
    if nav is None:
        nav = request._shop_nav = ShopperNav(request)
    return nav
