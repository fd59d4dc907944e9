"""Checkout with M-Pesa: the phone step, order-first placement, and the waiting page.

Order first: "Place order and pay" records a payment attempt, sends the STK push and,
once Daraja has accepted it (or could not say), places the order as "Pending payment".
The customer then waits on a page that follows the attempt until the money arrives.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View, generic
from oscar.apps.checkout import views as oscar_views
from oscar.apps.checkout.exceptions import FailedPreCondition
from oscar.apps.payment.exceptions import RedirectRequired, UnableToTakePayment
from oscar.core.loading import get_model

from apps.checkout import unpaid
from apps.checkout.utils import CHECKOUT_ORDER_ID, checkout_order_id
from apps.order.statuses import PENDING_PAYMENT
from apps.payment.forms import MpesaPhoneForm
from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa import services
from apps.payment.mpesa.phone import InvalidPhoneNumber, normalise_phone
from apps.payment.mpesa.security import client_address
from apps.payment.mpesa.waiting import (
    UNPAID_STATES,
    order_access_valid,
    payment_status,
    waiting_page_url,
)

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")


class IndexView(oscar_views.IndexView):
    """Oscar's "Who are you?" step. Its returning-customer sign-in gets the request, which
    Oscar does not give it: without one the sign-in lockout can neither count a failure
    (it counts per client address) nor refuse a locked-out client."""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["request"] = self.request
        return kwargs


def prompt_requester(request) -> services.Requester:
    """Who is asking for a prompt, for the prompt limits: the session and the address."""
    return services.Requester(
        session_key=request.session.session_key, address=client_address(request)
    )


class PaymentDetailsView(oscar_views.PaymentDetailsView):
    """Ask for the M-Pesa number, preview, then send the prompt and place the order."""

    _mpesa_attempt = None

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.setdefault("mpesa_form", self.get_mpesa_form())
        order_total = ctx.get("order_total")
        if order_total is not None:
            ctx["mpesa_amount"] = services.mpesa_amount(order_total.incl_tax)
        return ctx

    def get_mpesa_form(self) -> MpesaPhoneForm:
        return MpesaPhoneForm(initial={"phone": self.suggested_phone()})

    def suggested_phone(self) -> str:
        """The shipping address phone, else the number this customer paid from last.

        Shown the way Kenyans write it (``0712345678``); the form normalises it again.
        """
        fields = self.checkout_session.new_shipping_address_fields() or {}
        phone = str(fields.get("phone_number") or "")
        user = self.request.user
        if not phone and user.is_authenticated:
            last = user.mpesa_attempts.order_by("-created_at").values_list("phone", flat=True)
            phone = last.first() or ""
        try:
            return "0" + normalise_phone(phone)[3:]
        except InvalidPhoneNumber:
            return ""

    def handle_payment_details_submission(self, request):
        form = MpesaPhoneForm(request.POST)
        if form.is_valid():
            return self.render_preview(request, mpesa_form=form)
        return self.render_payment_details(request, mpesa_form=form)

    def handle_place_order_submission(self, request):
        form = MpesaPhoneForm(request.POST)
        if not form.is_valid():
            return self.render_payment_details(request, mpesa_form=form)
        submission = self.build_submission()
        submission["payment_kwargs"]["mpesa_form"] = form
        return self.submit(**submission)

    def handle_payment(self, order_number, total, **kwargs):
        self.check_basket_still_available()
        form = kwargs["mpesa_form"]
        try:
            attempt = services.stk_push_initiate(
                order_number=order_number,
                amount=total.incl_tax,
                phone=form.cleaned_data["phone"],
                user=self.request.user,
                guest_email=self.checkout_session.get_guest_email() or "",
                requester=prompt_requester(self.request),
            )
        except services.AttemptAlreadyOpen as exc:
            # A double click or a second tab: the first submission is already paying.
            raise RedirectRequired(waiting_page_url(order_number)) from exc
        except (services.PushRefused, services.PromptLimitReached) as exc:
            raise UnableToTakePayment(str(exc)) from exc
        self._mpesa_attempt = attempt
        reference = attempt.checkout_request_id or ""
        self.add_payment_source(
            services.new_unplaced_order_source(
                currency=total.currency, amount=attempt.amount, reference=reference
            )
        )
        self.add_payment_event(services.EVENT_PROMPT_SENT, attempt.amount, reference=reference)

    def check_basket_still_available(self) -> None:
        """The basket check once more, right before the prompt: since this request checked
        the basket, another shopper's order may have taken the last items. Then no prompt
        is sent and no order placed; the shopper is told which product is gone. Two orders
        whose prompts are on their way at the same moment can still both pass: stock is
        allocated when an order is placed, after its prompt was accepted."""
        try:
            self.check_basket_is_valid(self.request)
        except FailedPreCondition as exc:
            raise UnableToTakePayment(" ".join(str(message) for message in exc.messages)) from exc

    def handle_order_placement(self, order_number, *args, **kwargs):
        try:
            return super().handle_order_placement(order_number, *args, **kwargs)
        except Exception:
            if self._mpesa_attempt is not None:
                services.attempt_flag(
                    attempt=self._mpesa_attempt,
                    reason=f"Prompt sent but order {order_number} could not be placed",
                )
            raise

    def handle_successful_order(self, order):
        # The confirmation email waits for the money: services send it on payment.
        services.attempt_attach_order(attempt=self._mpesa_attempt, order=order)
        self.checkout_session.flush()
        self.request.session["checkout_order_id"] = order.id
        response = redirect(waiting_page_url(order.number))
        unpaid.remember(response, order)
        self.send_signal(self.request, response, order)
        return response


class ThankYouView(oscar_views.ThankYouView):
    def get_object(self, queryset=None):
        # Oscar's puts the session's order id into a query as found: text there was a 500.
        if checkout_order_id(self.request.session) is None:
            self.request.session.pop(CHECKOUT_ORDER_ID, None)
        return super().get_object(queryset)

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        order = getattr(self, "object", None)
        if unpaid.has_cookie(request) and order is not None and order.status != PENDING_PAYMENT:
            unpaid.forget(response)
        return response

    def get_context_data(self, *args, **kwargs):
        ctx = super().get_context_data(*args, **kwargs)
        ctx["mpesa_attempt"] = (
            ctx["order"]
            .mpesa_attempts.filter(status=MpesaPaymentAttempt.Status.SUCCEEDED)
            .order_by("-settled_at")
            .first()
        )
        return ctx


# --- Waiting for the customer's PIN --------------------------------------------------------


class OrderAccessMixin:
    """Guests reach these pages only with the order's unguessable hash."""

    def check_access(self, order_number: str, hash_: str) -> None:
        if not order_access_valid(order_number, hash_):
            raise Http404

    def _is_own_checkout(self, order_number: str) -> bool:
        """Whether this browser placed the order (its checkout session says so)."""
        order_id = checkout_order_id(self.request.session)
        return bool(order_id) and Order.objects.filter(pk=order_id, number=order_number).exists()


class MpesaWaitingView(OrderAccessMixin, generic.TemplateView):
    template_name = "oscar/checkout/mpesa_wait.html"

    def get(self, request, *args, **kwargs):
        self.check_access(kwargs["order_number"], kwargs["hash"])
        self.status = payment_status(kwargs["order_number"])
        if self.status["state"] == "paid" and self._is_own_checkout(kwargs["order_number"]):
            return redirect("checkout:thank-you")
        return super().get(request, *args, **kwargs)

    def _resend_phone(self, order_number: str) -> str:
        """The number the last prompt went to, filled in for the browser that placed the
        order only: anyone else holding the link types it again."""
        if not self._is_own_checkout(order_number):
            return ""
        phones = MpesaPaymentAttempt.objects.filter(order_number=order_number).order_by(
            "-created_at", "-pk"
        )
        return phones.values_list("phone", flat=True).first() or ""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        number = kwargs["order_number"]
        ctx.update(
            order_number=number,
            status=self.status,
            order=Order.objects.filter(number=number).first(),
            status_url=reverse("checkout:mpesa-status", kwargs=kwargs),
            resend_url=reverse("checkout:mpesa-resend", kwargs=kwargs),
            cancel_url=reverse("checkout:mpesa-cancel", kwargs=kwargs),
            resend_form=MpesaPhoneForm(initial={"phone": self._resend_phone(number)}),
            paybill_number=settings.MPESA_SHORTCODE,
            show_paybill=settings.MPESA_C2B_ENABLED,
            virtual_phone_url=(
                "/daraja-sim/phone/" if settings.MPESA_ENVIRONMENT == "simulator" else ""
            ),
            poll_interval_ms=settings.MPESA_STATUS_POLL_MS,
            prompt_timeout_seconds=settings.MPESA_PROMPT_TIMEOUT_SECONDS,
            actions_open=self.status["state"] in UNPAID_STATES,
        )
        return ctx


class MpesaStatusView(OrderAccessMixin, View):
    """JSON for the waiting page's polling; also asks Daraja when a callback is overdue."""

    def get(self, request, order_number: str, hash: str):
        self.check_access(order_number, hash)
        status = payment_status(order_number)
        # The thank-you page is the placing browser's; anyone else with the link stays here.
        if status["state"] == "paid" and self._is_own_checkout(order_number):
            status["redirect_url"] = reverse("checkout:thank-you")
        response = JsonResponse(status)
        response["Cache-Control"] = "no-store"
        return response


class MpesaResendView(OrderAccessMixin, View):
    """'Send the prompt again', optionally to another number: a new attempt, same order."""

    def post(self, request, order_number: str, hash: str):
        self.check_access(order_number, hash)
        order = Order.objects.filter(number=order_number).first()
        if order is None:
            raise Http404
        back = redirect(waiting_page_url(order_number))
        form = MpesaPhoneForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.errors["phone"][0])
            return back
        try:
            services.stk_push_resend(
                order=order, phone=form.cleaned_data["phone"], requester=prompt_requester(request)
            )
        except services.MpesaPaymentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("A new prompt is on its way to your phone."))
        return back


class MpesaCancelView(OrderAccessMixin, View):
    """The shopper gives up an unpaid order from its payment page: the order is cancelled
    and its stock released (``services.order_cancel_by_customer``, which refuses while a
    prompt may still be answered or once money arrived), and its items go back into this
    browser's basket so that nothing chosen is lost."""

    def post(self, request, order_number: str, hash: str):
        self.check_access(order_number, hash)
        try:
            order = services.order_cancel_by_customer(order_number=order_number)
        except services.OrderNotCancellable as exc:
            messages.error(request, str(exc))
            return redirect(waiting_page_url(order_number))
        not_returned = self.lines_to_basket(order)
        messages.success(
            request,
            _("Order %(number)s is cancelled. Its items are back in your basket.")
            % {"number": order.number},
        )
        for reason in not_returned:
            messages.warning(request, reason)
        response = redirect("basket:summary")
        if unpaid.cookie_order_number(request) == order.number:
            unpaid.forget(response)
        return response

    def lines_to_basket(self, order) -> list[str]:
        """Put the order's lines back into the basket, as Oscar's "re-order" does one line
        (``OrderLineView.do_reorder``); returns why any line could not go back."""
        basket = self.request.basket
        not_returned = []
        for line in order.lines.select_related("product"):
            available, reason = line.is_available_to_reorder(basket, self.request.strategy)
            if not available:
                not_returned.append(f"{line.title}: {reason}")
                continue
            options = [
                {"option": attribute.option, "value": attribute.value}
                for attribute in line.attributes.all()
                if attribute.option
            ]
            basket.add_product(line.product, line.quantity, options)
        return not_returned
