"""Admin for the payment app: Oscar's registrations plus the M-Pesa log, read-only.

Money records change only through ``apps.payment.mpesa.services`` (which lock rows and
keep Oscar's Source/Transaction in step), so the admin offers no add, change or delete to
anyone, superusers included: it is where admins review every shilling that moved. It reads
as the dashboard's M-Pesa pages do (``apps.payment.mpesa.display``): amounts as
``KSh 3,150``, phones masked one way, timeline events in words.
"""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from oscar.apps.payment.admin import *  # noqa: F401  (keep Oscar's registrations)

from apps.common.money import ksh
from apps.payment.models import (
    MpesaAttemptEvent,
    MpesaCallback,
    MpesaPaymentAttempt,
    MpesaRefund,
    OrderEmail,
)
from apps.payment.mpesa.display import (
    amounts_shown,
    attempt_status_label,
    event_label,
    phone_shown,
)
from apps.payment.mpesa.selectors import describe_customer, mask_token, pretty_json


def _pre(text: str):
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text or "—")


class ReadOnlyAdminMixin:
    """Viewing only: the admin must never become a way to edit money by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MpesaAttemptEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = MpesaAttemptEvent
    verbose_name = _("Timeline event")
    verbose_name_plural = _("Timeline")
    fields = ("created_at", "what", "detail", "actor", "data_pretty")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("What"))
    def what(self, obj: MpesaAttemptEvent) -> str:
        return event_label(obj.kind)

    @admin.display(description=_("Detail"))
    def detail(self, obj: MpesaAttemptEvent) -> str:
        return amounts_shown(obj.message)

    @admin.display(description=_("Data"))
    def data_pretty(self, obj: MpesaAttemptEvent):
        return _pre(pretty_json(obj.data))


class MpesaCallbackInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = MpesaCallback
    verbose_name = _("Callback received")
    verbose_name_plural = _("Callbacks received")
    fields = ("received_at", "outcome", "detail", "remote_addr", "body_pretty")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("Body"))
    def body_pretty(self, obj: MpesaCallback):
        return _pre(pretty_json(obj.body))


@admin.register(MpesaPaymentAttempt)
class MpesaPaymentAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "channel",
        "status_shown",
        "order_number",
        "customer",
        "masked_phone",
        "amount_shown",
        "amount_paid_shown",
        "receipt_number",
        "result_code",
        "needs_attention",
        "is_test",
    )
    list_filter = ("status", "channel", "is_test", "needs_attention", "created_at")
    search_fields = (
        "receipt_number",
        "phone",
        "paid_phone",
        "order_number",
        "checkout_request_id",
        "merchant_request_id",
        "bill_ref_number",
        "payer_name",
        "guest_email",
        "user__email",
    )
    list_select_related = ("order", "user")
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = (MpesaAttemptEventInline, MpesaCallbackInline)
    fieldsets = (
        (
            _("Transaction"),
            {
                "fields": (
                    "channel",
                    "is_test",
                    "status_shown",
                    "order_number",
                    "order",
                    "user",
                    "guest_email",
                    "masked_phone",
                    "masked_paid_phone",
                    "payer_name",
                    "bill_ref_number",
                    "amount_shown",
                    "amount_paid_shown",
                    "receipt_number",
                    "result_code",
                    "result_desc",
                    "merchant_request_id",
                    "checkout_request_id",
                    "recorded_on_order",
                    "callback_token_hint",
                )
            },
        ),
        (
            _("Staff attention"),
            {
                "fields": (
                    "needs_attention",
                    "attention_reason_shown",
                    "resolved_by",
                    "resolved_at",
                    "resolution_note",
                )
            },
        ),
        (
            _("Times"),
            {
                "fields": (
                    "created_at",
                    "updated_at",
                    "settled_at",
                    "last_queried_at",
                    "query_count",
                )
            },
        ),
        (
            _("Raw exchanges (secrets redacted)"),
            {"fields": ("request_pretty", "response_pretty")},
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        # Every field shown is read-only; listing them keeps the detail page complete even
        # for users the admin would otherwise give an edit form.
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "user", "resolved_by")

    @admin.display(description=_("Customer"))
    def customer(self, obj: MpesaPaymentAttempt) -> str:
        return describe_customer(obj)

    @admin.display(description=_("Status"), ordering="status")
    def status_shown(self, obj: MpesaPaymentAttempt) -> str:
        return attempt_status_label(obj)

    @admin.display(description=_("Phone"), ordering="phone")
    def masked_phone(self, obj: MpesaPaymentAttempt) -> str:
        return phone_shown(obj.phone)

    @admin.display(description=_("Phone that paid"))
    def masked_paid_phone(self, obj: MpesaPaymentAttempt) -> str:
        return phone_shown(obj.paid_phone)

    @admin.display(description=_("Amount requested"), ordering="amount")
    def amount_shown(self, obj: MpesaPaymentAttempt) -> str:
        return ksh(obj.amount)

    @admin.display(description=_("Amount paid"), ordering="amount_paid")
    def amount_paid_shown(self, obj: MpesaPaymentAttempt) -> str:
        return ksh(obj.amount_paid)

    @admin.display(description=_("Attention reason"))
    def attention_reason_shown(self, obj: MpesaPaymentAttempt) -> str:
        return amounts_shown(obj.attention_reason)

    @admin.display(description=_("Callback token"))
    def callback_token_hint(self, obj: MpesaPaymentAttempt) -> str:
        return mask_token(obj.callback_token)

    @admin.display(description=_("Request sent to Daraja"))
    def request_pretty(self, obj: MpesaPaymentAttempt):
        return _pre(pretty_json(obj.request_body))

    @admin.display(description=_("Daraja's response"))
    def response_pretty(self, obj: MpesaPaymentAttempt):
        return _pre(pretty_json(obj.response_body))


@admin.register(MpesaCallback)
class MpesaCallbackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "outcome", "detail", "attempt_order", "remote_addr")
    list_filter = ("outcome", "received_at")
    search_fields = (
        "attempt__order_number",
        "attempt__checkout_request_id",
        "attempt__receipt_number",
        "detail",
    )
    list_select_related = ("attempt",)
    date_hierarchy = "received_at"
    show_full_result_count = False
    fields = (
        "received_at",
        "outcome",
        "detail",
        "attempt",
        "refund",
        "remote_addr",
        "token_hint",
        "body_pretty",
    )

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.display(description=_("Order number"), ordering="attempt__order_number")
    def attempt_order(self, obj: MpesaCallback) -> str:
        return obj.attempt.order_number if obj.attempt_id else "—"

    @admin.display(description=_("Token"))
    def token_hint(self, obj: MpesaCallback) -> str:
        return mask_token(obj.token)

    @admin.display(description=_("Body as received (secrets redacted)"))
    def body_pretty(self, obj: MpesaCallback):
        return _pre(pretty_json(obj.body))


@admin.register(MpesaRefund)
class MpesaRefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Money sent back through M-Pesa: changed only by the refund services."""

    list_display = ("created_at", "status", "kind", "method", "amount_shown", "payment", "order")
    list_filter = ("status", "kind", "method")
    search_fields = ("payment__receipt_number", "receipt_number", "order__number")
    list_select_related = ("payment", "order")
    show_full_result_count = False
    # Secrets, raw bodies (on the dashboard, redacted) and the phone (shown masked there).
    exclude = ("result_token", "status_token", "request_body", "response_body", "phone")

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_shown(self, obj: MpesaRefund) -> str:
        return ksh(obj.amount)


@admin.register(OrderEmail)
class OrderEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox of order emails: what each customer is owed, whether it went, and why
    not (the mail server's last error). Sending and retrying are the timer's job."""

    list_display = ("created_at", "kind", "order", "sent_at", "attempts", "last_error_short")
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("order__number",)
    list_select_related = ("order",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = ("order", "kind", "created_at", "sent_at", "attempts", "next_try_at", "last_error")

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.display(description=_("Last error"))
    def last_error_short(self, obj: OrderEmail) -> str:
        return obj.last_error[:80] or "—"
