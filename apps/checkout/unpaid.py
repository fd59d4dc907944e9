"""The order a shopper placed and has not paid yet, so that it is always one tap away.

Placing an order empties the basket, so Back, a refresh, a second tab or ``/checkout/``
after "Place order and pay" found an empty basket and lost the shopper their order (a
guest has no email until the order is paid). Here the checkout knows the order placed
last in this browser, and a signed-in shopper's account knows theirs:

* the checkout's steps send a shopper with an empty basket and an unpaid order to that
  order's payment page (``CheckoutSessionMixin.check_basket_is_not_empty``);
* every page's header shows "Order N is waiting for payment — Pay now" (the navigation
  bar, ``apps.storefront.navigation``).

A guest's browser carries the order in a signed cookie (``UNPAID_ORDER_COOKIE``) rather
than the session: the page cache, which serves guests without reading their session,
renders the page for a browser holding one (``apps.storefront.page_cache``). The cookie
lives as long as an unpaid order may wait (``MPESA_ORDER_EXPIRY_MINUTES``) and is dropped
by the thank-you page; an order that was paid or cancelled meanwhile shows no banner.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from oscar.core.loading import get_model

from apps.order.statuses import PENDING_PAYMENT
from apps.payment.mpesa.waiting import waiting_page_url

from .utils import checkout_order_id

Order = get_model("order", "Order")

UNPAID_ORDER_COOKIE = "shop_unpaid_order"
_SALT = "apps.checkout.unpaid"


@dataclass(frozen=True)
class UnpaidOrder:
    number: str
    pay_url: str


def unpaid(number: str) -> UnpaidOrder:
    return UnpaidOrder(number=number, pay_url=waiting_page_url(number))


def remember(response: HttpResponse, order) -> None:
    """Give the browser that placed ``order`` its cookie."""
    response.set_cookie(
        UNPAID_ORDER_COOKIE,
        signing.dumps(str(order.number), salt=_SALT),
        max_age=settings.MPESA_ORDER_EXPIRY_MINUTES * 60,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def forget(response: HttpResponse) -> None:
    response.delete_cookie(UNPAID_ORDER_COOKIE, samesite="Lax")


def has_cookie(request: HttpRequest) -> bool:
    return UNPAID_ORDER_COOKIE in request.COOKIES


def cookie_order_number(request: HttpRequest) -> str | None:
    """The order number the browser's cookie names, if the shop signed it."""
    value = request.COOKIES.get(UNPAID_ORDER_COOKIE)
    if not value:
        return None
    try:
        number = signing.loads(value, salt=_SALT)
    except signing.BadSignature:
        return None
    return number if isinstance(number, str) else None


def cookie_unpaid_order(request: HttpRequest) -> UnpaidOrder | None:
    """The unpaid order this browser's cookie names: one query, none without a cookie
    (what the header asks for a shopper who is not signed in)."""
    number = cookie_order_number(request)
    if number is None:
        return None
    return _pending(Order.objects.filter(number=number))


def checkout_unpaid_order(request: HttpRequest) -> UnpaidOrder | None:
    """The unpaid order the checkout sends this shopper back to: the one this browser
    placed last (its cookie, else its checkout session), else a signed-in shopper's latest."""
    number = cookie_order_number(request)
    if number is not None and (found := _pending(Order.objects.filter(number=number))):
        return found
    order_id = checkout_order_id(request.session)
    if order_id is not None and (found := _pending(Order.objects.filter(pk=order_id))):
        return found
    if request.user.is_authenticated:
        return _pending(pending_orders_of(request.user))
    return None


def _pending(orders) -> UnpaidOrder | None:
    found = orders.filter(status=PENDING_PAYMENT).values_list("number", flat=True).first()
    return unpaid(found) if found else None


def pending_orders_of(user):
    """A signed-in shopper's orders waiting for payment, latest first."""
    return Order.objects.filter(user=user, status=PENDING_PAYMENT).order_by("-date_placed", "-pk")
