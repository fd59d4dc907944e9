"""An unpaid order is always one tap away: after "Place order and pay", Back and the button
again, a refresh, a second tab or /checkout/ lead to the order's payment page (never to
"You need to add some items"), every page's header offers "Pay now", and "My orders"
lists it with Pay now. Guests and signed-in shoppers, the simulator over HTTP."""

import pytest
from django.test import Client
from oscar.core.loading import get_model

from apps.checkout.unpaid import UNPAID_ORDER_COOKIE
from apps.payment.models import MpesaAttemptStatus as Status
from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa.waiting import waiting_page_url
from apps.storefront.page_cache import STATUS_HEADER
from tests.functional.checkout.conftest import (
    SUCCESS,
    place_order_and_pay,
    to_payment_details,
    wait_for_attempt,
)

Order = get_model("order", "Order")

OPEN = "0712 345 678"  # the prompt waits on the simulator's virtual phone
DECLINES = "0700 001 032"

pytestmark = pytest.mark.django_db(transaction=True)


def placed(app, catalogue, phone):
    """A guest's checkout up to "Place order and pay"; the preview page it was placed from."""
    payment_page = to_payment_details(app, catalogue.kettle)
    form = payment_page.forms["mpesa_phone_form"]
    form["phone"] = phone
    preview = form.submit()
    preview.forms["place_order_form"].submit().follow()
    return preview, Order.objects.get()


@pytest.mark.parametrize("phone", [OPEN, DECLINES])
def test_back_and_place_order_again_leads_to_the_unpaid_order(
    django_app, catalogue, daraja_simulator, phone
):
    preview, order = placed(django_app, catalogue, phone)
    if phone == DECLINES:
        wait_for_attempt(order.number, Status.FAILED)

    # Back to the preview the browser kept, and "Place order and pay" once more.
    again = preview.forms["place_order_form"].submit()

    assert again.status_code == 302
    assert again["Location"] == waiting_page_url(order.number)
    page = again.follow()
    assert f"Order {order.number} is waiting for payment" in page
    assert "add some items" not in page
    assert Order.objects.count() == 1
    assert MpesaPaymentAttempt.objects.count() == 1


@pytest.mark.parametrize("path", ["/checkout/", "/checkout/payment-details/", "/checkout/preview/"])
def test_any_checkout_step_after_placing_leads_to_the_unpaid_order(
    django_app, catalogue, daraja_simulator, path
):
    _preview, order = placed(django_app, catalogue, OPEN)

    page = django_app.get(path).maybe_follow()

    assert page.request.path == waiting_page_url(order.number)
    assert f"Order {order.number} is waiting for payment" in page


def test_a_second_tab_without_the_checkout_session_still_finds_the_order(
    django_app, catalogue, daraja_simulator
):
    """The cookie alone (a session ended, say) leads back to the order."""
    _preview, order = placed(django_app, catalogue, OPEN)
    session_cookie = django_app.cookies.pop("sessionid")
    assert session_cookie

    response = django_app.get("/checkout/")

    assert response["Location"] == waiting_page_url(order.number)


def test_every_page_offers_pay_now_until_the_order_is_paid(
    django_app, catalogue, daraja_simulator, settings
):
    warm = django_app.__class__()
    warm.get("/")  # the home page is now in the page cache for guests
    _preview, order = placed(django_app, catalogue, OPEN)

    home = django_app.get("/")
    basket = django_app.get("/basket/")

    for page in (home, basket):
        assert f"Order {order.number} is waiting for payment" in page
        assert page.html.select_one(".shop-unpaid-order a")["href"] == waiting_page_url(
            order.number
        )
    assert home.headers[STATUS_HEADER].startswith("bypass")
    # Another guest still gets the cached page, without the banner.
    other = warm.get("/")
    assert other.headers[STATUS_HEADER] == "hit"
    assert "waiting for payment" not in other

    # The shopper declines the open prompt, asks for a new one and pays it: the thank-you
    # page drops the cookie, and the banner goes.
    settings.MPESA_RESEND_SPACING_SECONDS = 0
    attempt = MpesaPaymentAttempt.objects.get(order_number=order.number)
    Client().post(f"/daraja-sim/phone/{attempt.checkout_request_id}/", {"decline": "1"})
    wait_for_attempt(order.number, Status.FAILED)
    waiting = django_app.get(waiting_page_url(order.number))
    form = next(f for f in waiting.forms.values() if f.action.endswith("/resend/"))
    form["phone"] = SUCCESS
    form.submit()
    wait_for_attempt(order.number, Status.SUCCEEDED)
    thank_you = django_app.get(waiting_page_url(order.number)).follow()
    assert thank_you.request.path == "/checkout/thank-you/"

    assert UNPAID_ORDER_COOKIE not in django_app.cookies
    assert "waiting for payment" not in django_app.get("/")


def test_a_signed_in_shopper_sees_pay_now_in_the_header_and_under_my_orders(
    django_app, catalogue, daraja_simulator, django_user_model
):
    user = django_user_model.objects.create_user("wanjiku", "wanjiku@example.co.ke", "pw")
    django_app.set_user(user)
    payment_page = to_payment_details(django_app, catalogue.kettle, shipping=None)
    place_order_and_pay(django_app, payment_page, phone=OPEN)
    order = Order.objects.get()
    django_app.cookies.pop(UNPAID_ORDER_COOKIE)  # another device: only the account knows

    home = django_app.get("/")
    orders = django_app.get("/accounts/orders/")

    assert f"Order {order.number} is waiting for payment" in home
    row = orders.html.select_one(".shop-pay-now")
    assert row["href"] == waiting_page_url(order.number)
    assert django_app.get("/checkout/")["Location"] == waiting_page_url(order.number)
