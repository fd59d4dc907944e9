"""A shopper cancels an unpaid order from its payment page: the order is Cancelled, its stock
released and its items are back in the basket; refused while the prompt may still be
answered or once money has arrived. A guest, the Daraja simulator over HTTP."""

import pytest
from oscar.core.loading import get_model

from apps.checkout.unpaid import UNPAID_ORDER_COOKIE
from apps.payment.models import MpesaAttemptStatus as Status
from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa.waiting import waiting_page_url
from tests.functional.checkout.conftest import wait_for_attempt

from .test_part_payments import part_paid_by_paybill
from .test_unpaid_order import DECLINES, OPEN, placed

pytestmark = pytest.mark.django_db(transaction=True)

Order = get_model("order", "Order")
StockRecord = get_model("partner", "StockRecord")


def allocated(product) -> int:
    return StockRecord.objects.get(product=product).num_allocated or 0


def cancel_form(page):
    return next(f for f in page.forms.values() if f.action.endswith("/cancel/"))


def test_a_guest_cancels_after_a_failed_prompt_and_finds_the_items_back_in_the_basket(
    django_app, catalogue, daraja_simulator
):
    _preview, order = placed(django_app, catalogue, DECLINES)
    wait_for_attempt(order.number, Status.FAILED)
    assert allocated(catalogue.kettle) == 1
    waiting = django_app.get(waiting_page_url(order.number))
    assert waiting.html.select_one("#cancel-order").get("disabled") is None

    basket = cancel_form(waiting).submit().follow()

    order.refresh_from_db()
    assert order.status == "Cancelled"
    assert set(order.lines.values_list("status", flat=True)) == {"Cancelled"}
    assert allocated(catalogue.kettle) == 0
    assert basket.request.path == "/basket/"
    assert f"Order {order.number} is cancelled. Its items are back in your basket." in basket
    assert catalogue.kettle.get_title() in basket.html.select_one("#content_inner").text
    assert "waiting for payment" not in basket
    assert UNPAID_ORDER_COOKIE not in django_app.cookies
    # The basket holds the kettle again, ready for a new checkout.
    assert "/checkout/" in [a.get("href") for a in basket.html.select("a")]
    page = django_app.get(waiting_page_url(order.number))
    assert page.html.select_one("#mpesa-headline").text.strip() == "Order cancelled"
    assert "You cancelled this order" in page.html.select_one("#mpesa-message").text
    assert page.html.select_one("[data-while-unpaid]").has_attr("hidden")


def test_cancel_is_refused_while_the_prompt_may_still_be_answered(
    django_app, catalogue, daraja_simulator
):
    _preview, order = placed(django_app, catalogue, OPEN)
    waiting = django_app.get(waiting_page_url(order.number))
    assert waiting.html.select_one("#cancel-order").has_attr("disabled")
    assert not waiting.html.select_one("#cancel-wait").has_attr("hidden")

    refused = cancel_form(waiting).submit()

    assert refused["Location"] == waiting_page_url(order.number)
    assert "A payment prompt is still open on your phone" in refused.follow()
    order.refresh_from_db()
    assert order.status == "Pending payment"
    assert allocated(catalogue.kettle) == 1
    assert MpesaPaymentAttempt.objects.get(order_number=order.number).status == Status.PENDING


def test_a_prompt_past_its_time_is_closed_and_the_order_cancelled(
    django_app, catalogue, daraja_simulator, settings
):
    _preview, order = placed(django_app, catalogue, OPEN)
    settings.MPESA_PROMPT_TIMEOUT_SECONDS = 0  # its time on the phone is up
    waiting = django_app.get(waiting_page_url(order.number))
    status = django_app.get(waiting.request.path + "status/").json
    assert status["state"] == "waiting" and status["prompt_seconds_left"] == 0
    assert status["can_cancel"] is True and status["can_resend"] is True

    cancel_form(waiting).submit().follow()

    order.refresh_from_db()
    assert order.status == "Cancelled"
    assert allocated(catalogue.kettle) == 0
    attempt = MpesaPaymentAttempt.objects.get(order_number=order.number)
    assert attempt.status == Status.EXPIRED
    assert attempt.events.filter(kind="superseded").exists()


def test_cancel_is_refused_once_money_has_arrived(django_app, paybill, pending_order):
    part_paid_by_paybill(paybill, pending_order)
    waiting = django_app.get(waiting_page_url(pending_order.number))
    assert waiting.html.select_one("#cancel-order").has_attr("disabled")
    assert not waiting.html.select_one("#cancel-paid").has_attr("hidden")

    refused = cancel_form(waiting).submit().follow()

    assert "M-Pesa money has already reached us for this order" in refused
    pending_order.refresh_from_db()
    assert pending_order.status == "Pending payment"


def test_cancel_needs_the_order_link_and_a_post(django_app, catalogue, daraja_simulator):
    _preview, order = placed(django_app, catalogue, DECLINES)
    wait_for_attempt(order.number, Status.FAILED)
    waiting = django_app.get(waiting_page_url(order.number))

    assert django_app.get(waiting.request.path + "cancel/", expect_errors=True).status_code == 405
    forged = cancel_form(waiting)
    forged.action = f"/checkout/pay/{order.number}/not-the-hash/cancel/"
    assert forged.submit(expect_errors=True).status_code == 404
    order.refresh_from_db()
    assert order.status == "Pending payment"
