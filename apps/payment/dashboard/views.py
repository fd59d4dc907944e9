"""The dashboard's M-Pesa section: the transaction log, its CSV, the "needs attention"
inbox, one transaction's page with the staff actions, and the "Test M-Pesa setup" page.

Views stay thin: reads go through ``selectors``, every change through ``services`` (which
lock rows, keep Oscar's order records in step and record who acted). A refused action
comes back as ``MpesaPaymentError`` whose text is shown to staff as it is. Who may reach
each view is said once, in ``apps.MpesaDashboardConfig.permissions_map``; the pages show
only the buttons and links the user may use (``access.mpesa_access``).
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import secrets
from collections.abc import Iterator

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.generic import ListView, TemplateView
from oscar.core.loading import get_model

from apps.common.money import ksh
from apps.payment.models import MpesaPaymentAttempt, MpesaRefund
from apps.payment.mpesa import selectors, services
from apps.payment.mpesa.display import (
    amounts_shown,
    attempt_status_label,
    event_label,
    phone_shown,
)

from .access import mpesa_access
from .forms import (
    MarkPaidForm,
    MatchOrderForm,
    OrderRefundConfirmForm,
    RefundConfirmForm,
    RefundForm,
    RefundOutcomeForm,
    ResolveForm,
    TestPromptForm,
    TransactionFilterForm,
)

logger = logging.getLogger(__name__)

Order = get_model("order", "Order")

PAGE_SIZE = 50
CSV_CHUNK_SIZE = 2000


def _detail_url(attempt_id: int) -> str:
    return reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": attempt_id})


def _get_attempt(pk: int) -> MpesaPaymentAttempt:
    try:
        return MpesaPaymentAttempt.objects.get(pk=pk)
    except MpesaPaymentAttempt.DoesNotExist as exc:
        raise Http404(_("No such M-Pesa transaction.")) from exc


def _refused(request: HttpRequest, exc: Exception, attempt_id: int) -> HttpResponseRedirect:
    """Show why a staff action was refused, and keep a trace of the attempt in the log."""
    logger.info(
        "Staff action on M-Pesa transaction %s refused for user %s: %s",
        attempt_id,
        request.user.pk,
        exc,
    )
    messages.error(request, amounts_shown(str(exc)))
    return HttpResponseRedirect(_detail_url(attempt_id))


def _form_errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


# --- The log ------------------------------------------------------------------------------


class CountedPaginator(Paginator):
    """A paginator given the number of rows (already counted with the totals), so it
    does not count them again."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count = count


class TransactionListView(ListView):
    """Every M-Pesa transaction, filterable, with the filtered set's totals.

    The page costs the same few queries whatever its size: rows join their order and
    customer, and the totals are one aggregate (kept for a few seconds, unless staff
    search) whose count also numbers the pages.
    """

    template_name = "oscar/dashboard/mpesa/transaction_list.html"
    context_object_name = "transactions"
    paginate_by = PAGE_SIZE
    inbox = False

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.form = TransactionFilterForm(request.GET or None)
        return super().get(request, *args, **kwargs)

    def get_filters(self) -> selectors.AttemptFilters:
        filters = self.form.filters()
        if self.inbox:
            filters = dataclasses.replace(filters, needs_attention=True)
        return filters

    def get_queryset(self):
        filters = self.get_filters()
        self.totals = selectors.attempt_totals(filters=filters)
        return selectors.attempt_list(filters=filters)

    def get_paginator(self, queryset, per_page, **kwargs) -> CountedPaginator:
        return CountedPaginator(queryset, per_page, count=self.totals.count, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        if self.inbox:
            query["needs_attention"] = "yes"
        context.update(
            form=self.form,
            inbox=self.inbox,
            totals=self.totals,
            filter_query=query.urlencode(),
            attention_count=MpesaPaymentAttempt.objects.filter(needs_attention=True).count(),
            may=mpesa_access(self.request.user),
        )
        for attempt in context["transactions"]:
            attempt.phone_shown = phone_shown(attempt.phone)
            attempt.status_label = attempt_status_label(attempt)
            attempt.attention_reason_shown = amounts_shown(attempt.attention_reason)
        return context


class AttentionInboxView(TransactionListView):
    """Money that matched no order (or not exactly): never dropped, waiting for staff."""

    inbox = True


class _Echo:
    """A file-like object whose write() hands the CSV line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


@require_GET
def transaction_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered log as CSV, streamed row by row from one database cursor."""
    filters = TransactionFilterForm(request.GET or None).filters()
    queryset = selectors.attempt_list(filters=filters).select_related(None)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(selectors.attempt_csv_header())
        for row in selectors.attempt_csv_rows(queryset, chunk_size=CSV_CHUNK_SIZE):
            yield writer.writerow(row)

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="mpesa-transactions-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def reconcile(request: HttpRequest) -> HttpResponseRedirect:
    """Run the reconciliation now (it also runs from cron) and say what it did."""
    report = services.staff_reconcile(actor=request.user)
    messages.success(
        request,
        _(
            "Reconciliation done: asked M-Pesa about %(queried)s prompt(s), settled "
            "%(settled)s, expired %(expired)s, cancelled %(cancelled)s unpaid order(s)."
        )
        % {
            "queried": report.queried,
            "settled": report.settled,
            "expired": report.expired_attempts,
            "cancelled": report.cancelled_orders,
        },
    )
    return HttpResponseRedirect(reverse("mpesa-dashboard:transaction-list"))


# --- One transaction ----------------------------------------------------------------------


class TransactionDetailView(TemplateView):
    template_name = "oscar/dashboard/mpesa/transaction_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            attempt = selectors.attempt_detail(pk=kwargs["pk"])
        except MpesaPaymentAttempt.DoesNotExist as exc:
            raise Http404(_("No such M-Pesa transaction.")) from exc
        callbacks = list(attempt.callbacks.all())
        for callback in callbacks:
            callback.body_pretty = selectors.pretty_json(callback.body)
        events = list(attempt.events.all())
        for event in events:
            event.label = event_label(event.kind)
            event.message_shown = amounts_shown(event.message)
            event.data_pretty = selectors.pretty_json(event.data)
        may = mpesa_access(self.request.user)
        can_check_status = _can_check_status(attempt)
        can_mark_paid = _can_mark_paid(attempt)
        can_refund = services.refund_refusal(attempt) is None
        refunds = list(attempt.refunds.select_related("requested_by"))
        for item in refunds:
            item.phone_shown = phone_shown(item.phone)
        refund_results = list(selectors.refund_results(payment=attempt))
        for result in refund_results:
            result.body_pretty = selectors.pretty_json(result.body)
        context.update(
            attempt=attempt,
            status_label=attempt_status_label(attempt),
            attention_reason=amounts_shown(attempt.attention_reason),
            resolution_note=amounts_shown(attempt.resolution_note),
            phone=phone_shown(attempt.phone),
            paid_phone=phone_shown(attempt.paid_phone),
            customer=selectors.describe_customer(attempt),
            token_hint=selectors.mask_token(attempt.callback_token),
            request_pretty=selectors.pretty_json(attempt.request_body),
            response_pretty=selectors.pretty_json(attempt.response_body),
            events=events,
            callbacks=callbacks,
            may=may,
            # An action is offered where it applies and the user may take it.
            offer_check_status=can_check_status and may.check_status,
            offer_mark_paid=can_mark_paid and may.mark_paid,
            offer_match=attempt.needs_attention and may.match,
            offer_resolve=attempt.needs_attention and may.resolve,
            offer_refund=can_refund and may.refund,
            refunds=refunds,
            refund_results=refund_results,
            offer_refund_outcome=may.refund and any(item.is_open for item in refunds),
            refund_outcome_form=RefundOutcomeForm(),
            has_work=can_check_status or can_mark_paid or attempt.needs_attention or can_refund,
            mark_paid_form=MarkPaidForm(),
            match_form=MatchOrderForm(),
            resolve_form=ResolveForm(),
        )
        return context


def _can_check_status(attempt: MpesaPaymentAttempt) -> bool:
    """An STK push Daraja accepted and nobody has answered yet: M-Pesa can be asked."""
    return (
        attempt.channel == MpesaPaymentAttempt.Channel.STK_PUSH
        and bool(attempt.checkout_request_id)
        and attempt.is_open
    )


def _can_mark_paid(attempt: MpesaPaymentAttempt) -> bool:
    """An order still waiting whose money this transaction has not recorded yet."""
    return services.mark_paid_refusal(attempt) is None


@require_POST
def check_status(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    attempt = _get_attempt(pk)
    try:
        result = services.staff_check_status(attempt=attempt, actor=request.user)
    except services.MpesaPaymentError as exc:
        return _refused(request, exc, pk)
    attempt.refresh_from_db()
    if result is None:
        messages.info(
            request,
            _("M-Pesa has no final answer yet. Status: %(status)s.")
            % {"status": attempt_status_label(attempt)},
        )
    else:
        messages.success(
            request,
            _("M-Pesa answered (%(result)s). Status: %(status)s.")
            % {"result": result, "status": attempt_status_label(attempt)},
        )
    return HttpResponseRedirect(_detail_url(pk))


def _form_action(request: HttpRequest, pk: int, form_class, perform) -> HttpResponseRedirect:
    """A staff action behind a form: validate it, run ``perform(attempt, cleaned_data)``
    (which returns the success message) and go back to the transaction's page."""
    attempt = _get_attempt(pk)
    form = form_class(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return HttpResponseRedirect(_detail_url(pk))
    try:
        message = perform(attempt, form.cleaned_data)
    except services.MpesaPaymentError as exc:
        return _refused(request, exc, pk)
    messages.success(request, message)
    return HttpResponseRedirect(_detail_url(pk))


@require_POST
def mark_paid(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    def perform(attempt, data):
        result = services.staff_mark_paid(
            attempt=attempt,
            receipt_number=data["receipt_number"],
            actor=request.user,
            note=data["note"],
        )
        return _("Recorded as paid with receipt %(receipt)s (%(result)s).") % {
            "receipt": data["receipt_number"],
            "result": result,
        }

    return _form_action(request, pk, MarkPaidForm, perform)


@require_POST
def match_order(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    def perform(attempt, data):
        services.staff_match_payment(
            payment=attempt,
            order_number=data["order_number"],
            actor=request.user,
            note=data["note"],
        )
        return _("Payment matched to order %(number)s.") % {"number": data["order_number"]}

    return _form_action(request, pk, MatchOrderForm, perform)


@require_POST
def resolve(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    def perform(attempt, data):
        services.staff_resolve(payment=attempt, actor=request.user, note=data["note"])
        return _("Marked as resolved.")

    return _form_action(request, pk, ResolveForm, perform)


# --- Refunds ------------------------------------------------------------------------------


class RefundListView(ListView):
    """Every refund, newest first: what went back to whom, and where each one stands."""

    template_name = "oscar/dashboard/mpesa/refund_list.html"
    context_object_name = "refunds"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return selectors.refund_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for item in context["refunds"]:
            item.phone_shown = phone_shown(item.phone)
        context["may"] = mpesa_access(self.request.user)
        return context


REFUND_TEMPLATE = "oscar/dashboard/mpesa/refund.html"


@require_http_methods(["GET", "POST"])
def refund(request: HttpRequest, pk: int) -> HttpResponse:
    """Refund from one payment in two steps: the form, then a confirmation that names the
    amount, the way (reversal or B2C) and the phone, carrying a fresh idempotency key: the
    refund is started once however often "Send the refund" is pressed."""
    attempt = _get_attempt(pk)
    refusal = services.refund_refusal(attempt)
    if refusal:
        return _refused(request, services.RefundRefused(refusal), pk)
    money = services.refundable_money(attempt)
    context = {"attempt": attempt, "money": money, "phone": phone_shown(attempt.phone)}
    if request.method == "GET":
        form = RefundForm(initial={"amount": money.refundable})
        return render(request, REFUND_TEMPLATE, {**context, "form": form})
    if "idempotency_key" not in request.POST:
        form = RefundForm(request.POST)
        if not form.is_valid():
            return render(request, REFUND_TEMPLATE, {**context, "form": form})
        try:
            plan = services.refund_plan(
                payment=attempt,
                amount=form.cleaned_data["amount"],
                phone=form.cleaned_data["phone"],
            )
        except services.RefundRefused as exc:
            form.add_error(None, amounts_shown(str(exc)))
            return render(request, REFUND_TEMPLATE, {**context, "form": form})
        confirm = RefundConfirmForm(
            initial={**form.cleaned_data, "idempotency_key": secrets.token_hex(16)}
        )
        return render(
            request,
            REFUND_TEMPLATE,
            {
                **context,
                "confirm": confirm,
                "plan": plan,
                "plan_kind": MpesaRefund.Kind(plan.kind).label,
                "plan_phone": phone_shown(plan.phone),
            },
        )
    form = RefundConfirmForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return HttpResponseRedirect(reverse("mpesa-dashboard:transaction-refund", args=[pk]))
    try:
        made = services.refund_start(
            payment=attempt,
            amount=form.cleaned_data["amount"],
            actor=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
            reason=form.cleaned_data["reason"],
            phone=form.cleaned_data["phone"],
        )
    except services.RefundRefused as exc:
        return _refused(request, exc, pk)
    _refund_message(request, made)
    return HttpResponseRedirect(_detail_url(pk))


def _refund_message(request: HttpRequest, made) -> None:
    amount = ksh(made.amount)
    if made.status == made.Status.FAILED:
        messages.error(
            request,
            _("M-Pesa did not take the refund of %(amount)s: %(code)s %(desc)s. No money was sent.")
            % {"amount": amount, "code": made.result_code, "desc": made.result_desc},
        )
    elif made.status == made.Status.UNCONFIRMED:
        messages.warning(
            request,
            _(
                "M-Pesa did not answer in time about the refund of %(amount)s. It is not sent "
                "again: its status is asked by the reconciliation."
            )
            % {"amount": amount},
        )
    elif made.status == made.Status.COMPLETED:
        messages.success(request, _("Refund of %(amount)s sent.") % {"amount": amount})
    else:
        messages.success(
            request,
            _("M-Pesa accepted the refund of %(amount)s; it is done when M-Pesa's result comes.")
            % {"amount": amount},
        )


@require_POST
def refund_outcome(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """Record how a refund M-Pesa never told the shop about ended (read in the portal)."""
    try:
        made = MpesaRefund.objects.get(pk=pk)
    except MpesaRefund.DoesNotExist as exc:
        raise Http404(_("No such refund.")) from exc
    form = RefundOutcomeForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return HttpResponseRedirect(_detail_url(made.payment_id))
    try:
        services.refund_staff_settle(
            refund=made,
            sent=form.cleaned_data["sent"],
            actor=request.user,
            receipt_number=form.cleaned_data["receipt_number"],
            note=form.cleaned_data["note"],
        )
    except services.RefundRefused as exc:
        return _refused(request, exc, made.payment_id)
    made.refresh_from_db()
    messages.success(
        request, _("Refund recorded: %(status)s.") % {"status": made.get_status_display()}
    )
    return HttpResponseRedirect(_detail_url(made.payment_id))


@require_http_methods(["GET", "POST"])
def order_refund(request: HttpRequest, number: str) -> HttpResponse:
    """Refund everything a cancelled order holds (each of its payments), after a
    confirmation that lists what goes back."""
    try:
        order = Order.objects.get(number=number)
    except Order.DoesNotExist as exc:
        raise Http404(_("No such order.")) from exc
    back = reverse("dashboard:order-detail", kwargs={"number": number})
    payments = [
        (payment, services.refundable_money(payment))
        for payment in selectors.order_attempts(order=order)
        if services.refund_refusal(payment) is None
    ]
    if order.status != services.ORDER_CANCELLED or not payments:
        messages.error(
            request,
            _("Only a cancelled order that still holds money is refunded whole.")
            if order.status != services.ORDER_CANCELLED
            else _("Nothing is left to refund on this order."),
        )
        return HttpResponseRedirect(back)
    if request.method == "GET":
        confirm = OrderRefundConfirmForm(initial={"idempotency_key": secrets.token_hex(16)})
        total = sum(money.refundable for _payment, money in payments)
        return render(
            request,
            "oscar/dashboard/mpesa/order_refund.html",
            {"order": order, "payments": payments, "total": total, "confirm": confirm},
        )
    form = OrderRefundConfirmForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return HttpResponseRedirect(back)
    try:
        made = services.order_refund_start(
            order=order,
            actor=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
            reason=form.cleaned_data["reason"],
        )
    except services.RefundRefused as exc:
        messages.error(request, amounts_shown(str(exc)))
        return HttpResponseRedirect(back)
    for item in made:
        _refund_message(request, item)
    return HttpResponseRedirect(back)


@require_GET
def transaction_status(request: HttpRequest, pk: int) -> JsonResponse:
    """What the "Test M-Pesa setup" page polls while the prompt is on the phone."""
    attempt = _get_attempt(pk)
    return JsonResponse(_status_payload(attempt))


def _status_payload(attempt: MpesaPaymentAttempt) -> dict:
    return {
        "id": attempt.pk,
        "status": attempt.status,
        "status_display": attempt_status_label(attempt),
        "is_open": attempt.is_open,
        "result_code": attempt.result_code,
        "result_desc": attempt.result_desc,
        "receipt_number": attempt.receipt_number or "",
        "settled_at": attempt.settled_at.isoformat() if attempt.settled_at else None,
    }


# --- Test M-Pesa setup --------------------------------------------------------------------


class TestSetupView(TemplateView):
    """The operator's proof that credentials, shortcode and the public callback URL work:
    a small real prompt, logged as a test, followed live on this page."""

    template_name = "oscar/dashboard/mpesa/test_setup.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", TestPromptForm(initial={"amount": 1}))
        attempt_id = self.request.GET.get("attempt", "")
        attempt = None
        if attempt_id.isdigit():
            attempt = MpesaPaymentAttempt.objects.filter(pk=int(attempt_id), is_test=True).first()
        recent = MpesaPaymentAttempt.objects.filter(is_test=True).order_by("-created_at", "-pk")
        context.update(
            attempt=attempt,
            status=_status_payload(attempt) if attempt else None,
            recent_tests=list(recent[:10]),
        )
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = TestPromptForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            attempt = services.test_prompt_send(
                phone=form.cleaned_data["phone"],
                amount=form.cleaned_data["amount"],
                actor=request.user,
            )
        except services.MpesaPaymentError as exc:
            messages.error(request, str(exc))
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(
            request,
            _("Test prompt sent to %(phone)s. Enter the PIN on the phone and watch it here.")
            % {"phone": phone_shown(attempt.phone)},
        )
        return HttpResponseRedirect(
            reverse("mpesa-dashboard:test-setup") + f"?attempt={attempt.pk}"
        )
