"""Payment models: Oscar's (Source, SourceType, Transaction, ...) plus the M-Pesa records.

Oscar's ``Source``/``Transaction`` rows carry the money of an order; the M-Pesa models
below keep what happened on the wire: every STK push attempt with its state, and every
raw callback body as it arrived. States only change through ``apps.payment.mpesa.services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MpesaAttemptStatus(models.TextChoices):
    CREATED = "created", _("Recorded, prompt not yet sent")
    PENDING = "pending", _("Prompt sent, waiting for the customer")
    UNCONFIRMED = "unconfirmed", _("Unconfirmed: Daraja did not answer in time")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    REFUSED = "refused", _("Refused by Daraja (no prompt sent)")
    EXPIRED = "expired", _("Expired without an answer")
    REVIEW = "review", _("Money received, needs staff review")


class MpesaChannel(models.TextChoices):
    STK_PUSH = "stk", _("STK push")
    PAYBILL = "paybill", _("Paybill (C2B)")


OPEN_ATTEMPT_STATUSES = (
    MpesaAttemptStatus.CREATED,
    MpesaAttemptStatus.PENDING,
    MpesaAttemptStatus.UNCONFIRMED,
)


class MpesaPaymentAttempt(models.Model):
    """One M-Pesa transaction: an STK push (a PIN prompt sent, or attempted, to one phone for
    one order) or a Paybill (C2B) payment the customer made from the phone's menu.

    An order may have several attempts (the customer cancels, then tries again), but
    never two open at once: a partial unique constraint guarantees it, so a double click
    or two tabs cannot send two prompts for one order. The receipt number is unique across
    both channels (a C2B TransID is an M-Pesa receipt number), so one payment can never be
    recorded twice.
    """

    Status = MpesaAttemptStatus
    Channel = MpesaChannel

    channel = models.CharField(
        max_length=8, choices=MpesaChannel.choices, default=MpesaChannel.STK_PUSH
    )
    # Prompts sent from the dashboard's "Test M-Pesa setup": logged, never tied to an order.
    is_test = models.BooleanField(default=False)
    order_number = models.CharField(_("Order number"), max_length=128, db_index=True)
    order = models.ForeignKey(
        "order.Order",
        on_delete=models.PROTECT,
        related_name="mpesa_attempts",
        null=True,
        blank=True,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="mpesa_attempts",
        null=True,
        blank=True,
    )
    guest_email = models.EmailField(_("Guest email"), blank=True)
    # The secret in the callback URL: Daraja signs nothing, so this is what proves a
    # callback belongs to this attempt.
    callback_token = models.CharField(max_length=64, unique=True, editable=False)
    # 2547XXXXXXXX for STK pushes; for Paybill, what Safaricom sends (masked or hashed).
    phone = models.CharField(_("Phone"), max_length=64)
    amount = models.DecimalField(_("Amount requested"), max_digits=12, decimal_places=2)
    status = models.CharField(
        max_length=16, choices=MpesaAttemptStatus.choices, default=MpesaAttemptStatus.CREATED
    )
    merchant_request_id = models.CharField(max_length=100, blank=True)
    checkout_request_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    result_code = models.CharField(_("Result code"), max_length=32, blank=True)
    result_desc = models.CharField(_("Result description"), max_length=255, blank=True)
    receipt_number = models.CharField(
        _("M-Pesa receipt"), max_length=32, null=True, blank=True, unique=True
    )
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    paid_phone = models.CharField(max_length=32, blank=True)
    # True once this attempt's money is recorded on the order (Source debit, "Paid" event).
    recorded_on_order = models.BooleanField(default=False)
    needs_attention = models.BooleanField(_("Needs staff attention"), default=False)
    attention_reason = models.CharField(max_length=255, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    # Paybill only: what the customer typed as the account number, and their name.
    bill_ref_number = models.CharField(_("Account number typed"), max_length=64, blank=True)
    payer_name = models.CharField(max_length=128, blank=True)
    request_body = models.JSONField(default=dict, blank=True)
    response_body = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    last_queried_at = models.DateTimeField(null=True, blank=True)
    query_count = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "payment"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("M-Pesa transaction")
        verbose_name_plural = _("M-Pesa transactions")
        # The staff actions of the dashboard's M-Pesa section, each on top of Django's
        # view_mpesapaymentattempt (apps/payment/dashboard/apps.py says who needs which).
        permissions = [
            ("mark_mpesa_paid", _("Can mark an order paid with an M-Pesa receipt")),
            ("match_mpesa_payment", _("Can match an M-Pesa payment to an order")),
            ("resolve_mpesa_payment", _("Can resolve an M-Pesa payment needing attention")),
            ("reconcile_mpesa", _("Can run the M-Pesa reconciliation")),
            ("check_mpesa_status", _("Can ask M-Pesa for the status of a prompt")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order_number"],
                condition=Q(status__in=[s.value for s in OPEN_ATTEMPT_STATUSES]),
                name="mpesa_one_open_attempt_per_order",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="mpesa_attempt_amount_positive"),
        ]
        # The dashboard's log, newest first, filtered by what staff pick: each filter finds
        # its first page in an index. Attention and test rows are few, so their indexes
        # hold only them (and count the inbox badge without reading the table).
        indexes = [
            models.Index(fields=["status", "created_at"], name="mpesa_status_created"),
            models.Index(fields=["channel", "created_at"], name="mpesa_channel_created"),
            models.Index(
                fields=["created_at"],
                condition=Q(needs_attention=True),
                name="mpesa_attention_created",
            ),
            models.Index(
                fields=["created_at"], condition=Q(is_test=True), name="mpesa_test_created"
            ),
            # A staff search matches these identifiers whatever their case (UPPER(...) =
            # UPPER(...)); the phones' "contains" match has trigram indexes on PostgreSQL
            # (migration 0010).
            models.Index(Upper("receipt_number"), name="mpesa_receipt_upper"),
            models.Index(Upper("checkout_request_id"), name="mpesa_checkout_id_upper"),
            models.Index(Upper("merchant_request_id"), name="mpesa_merchant_id_upper"),
            models.Index(Upper("bill_ref_number"), name="mpesa_bill_ref_upper"),
        ]

    def __str__(self) -> str:
        return f"M-Pesa attempt {self.pk} for order {self.order_number} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ATTEMPT_STATUSES

    @property
    def is_settled(self) -> bool:
        return not self.is_open


class MpesaCallback(models.Model):
    """A callback body exactly as Daraja delivered it, stored before it is processed."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", _("Received, not processed yet")
        APPLIED = "applied", _("Applied")
        UNVERIFIED = "unverified", _("Success waiting for confirmation by query")
        DUPLICATE = "duplicate", _("Duplicate: nothing changed")
        IGNORED = "ignored", _("Ignored")
        REJECTED = "rejected", _("Rejected (malformed or mismatched)")
        ERROR = "error", _("Processing error")

    attempt = models.ForeignKey(
        MpesaPaymentAttempt,
        on_delete=models.PROTECT,
        related_name="callbacks",
        null=True,
        blank=True,
    )
    # A refund's result (Reversal, B2C, Transaction Status), found by its result token.
    refund = models.ForeignKey(
        "payment.MpesaRefund",
        on_delete=models.PROTECT,
        related_name="callbacks",
        null=True,
        blank=True,
    )
    token = models.CharField(max_length=64, blank=True, db_index=True)
    body = models.TextField(blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RECEIVED)
    detail = models.CharField(max_length=255, blank=True)

    class Meta:
        app_label = "payment"
        ordering = ["-received_at", "-pk"]
        verbose_name = _("M-Pesa callback")
        verbose_name_plural = _("M-Pesa callbacks")

    def __str__(self) -> str:
        return f"Callback {self.pk} ({self.outcome})"


class MpesaRefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested, being sent to M-Pesa")
    ACCEPTED = "accepted", _("Accepted by M-Pesa, waiting for the result")
    UNCONFIRMED = "unconfirmed", _("Unconfirmed: M-Pesa did not answer in time")
    COMPLETED = "completed", _("Money sent")
    FAILED = "failed", _("Failed: no money sent")


OPEN_REFUND_STATUSES = (
    MpesaRefundStatus.REQUESTED,
    MpesaRefundStatus.ACCEPTED,
    MpesaRefundStatus.UNCONFIRMED,
)


class MpesaRefund(models.Model):
    """Money sent back to a customer from one M-Pesa payment (one receipt), through Daraja's
    Reversal API or a B2C payment (``apps.payment.mpesa.services.refunds`` says which).

    A state machine moved only by the refund services: requested, then accepted by Daraja
    (or unconfirmed when Daraja did not answer in time: never sent again by itself), then
    completed or failed by Daraja's result (its callback, or the Transaction Status API).
    The database keeps one refund under way per payment at a time and one refund per
    idempotency key (one press of the confirm button), so however often staff press it,
    and however many press it at once, one request goes to M-Pesa.

    ``from_order`` is the part of the amount that was recorded on the order (debited on its
    M-Pesa source); the rest was money the order never took (an excess, a second payment,
    unmatched Paybill money). A completed refund is recorded on the order's books as
    Oscar's refund: a Refund transaction and a "Refunded" payment event.
    """

    Status = MpesaRefundStatus

    class Kind(models.TextChoices):
        ORDER = "order", _("Whole order (cancelled)")
        PART = "part", _("Part of an order")
        OVERPAYMENT = "overpayment", _("Overpayment")
        DUPLICATE = "duplicate", _("Duplicate payment")
        UNMATCHED = "unmatched", _("Unmatched Paybill money")

    class Method(models.TextChoices):
        REVERSAL = "reversal", _("Reversal of the payment")
        B2C = "b2c", _("B2C payment to the phone")

    payment = models.ForeignKey(
        MpesaPaymentAttempt, on_delete=models.PROTECT, related_name="refunds"
    )
    order = models.ForeignKey(
        "order.Order", on_delete=models.PROTECT, related_name="mpesa_refunds", null=True, blank=True
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    method = models.CharField(max_length=16, choices=Method.choices)
    status = models.CharField(
        max_length=16, choices=MpesaRefundStatus.choices, default=MpesaRefundStatus.REQUESTED
    )
    amount = models.DecimalField(_("Amount"), max_digits=12, decimal_places=2)
    from_order = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # Where a B2C refund is paid (2547XXXXXXXX); empty for a reversal.
    phone = models.CharField(max_length=16, blank=True)
    reason = models.CharField(_("Reason"), max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True, editable=False)
    # The SHA-256 of the secret in the refund's ResultURL (the secret itself is never kept).
    result_token = models.CharField(max_length=64, unique=True, editable=False)
    # The same for the latest Transaction Status question about it (answered on its own URL).
    status_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # B2C: the shop's own id for the request; Reversal: the one Daraja answered with.
    originator_conversation_id = models.CharField(
        max_length=100, null=True, blank=True, unique=True
    )
    conversation_id = models.CharField(max_length=100, blank=True)
    receipt_number = models.CharField(
        _("M-Pesa receipt of the refund"), max_length=32, null=True, blank=True, unique=True
    )
    result_code = models.CharField(max_length=32, blank=True)
    result_desc = models.CharField(max_length=255, blank=True)
    request_body = models.JSONField(default=dict, blank=True)
    response_body = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    last_queried_at = models.DateTimeField(null=True, blank=True)
    query_count = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "payment"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("M-Pesa refund")
        verbose_name_plural = _("M-Pesa refunds")
        permissions = [("refund_mpesa_payment", _("Can refund M-Pesa money to a customer"))]
        constraints = [
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(status__in=[s.value for s in OPEN_REFUND_STATUSES]),
                name="mpesa_one_open_refund_per_payment",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="mpesa_refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(from_order__gte=0) & Q(from_order__lte=F("amount")),
                name="mpesa_refund_from_order_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.pk} of {self.amount} from payment {self.payment_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFUND_STATUSES


class MpesaAttemptEvent(models.Model):
    """The timeline of an attempt: request, answer, callbacks, queries, status changes."""

    attempt = models.ForeignKey(
        MpesaPaymentAttempt, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=32)
    message = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "payment"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class OrderEmail(models.Model):
    """An email the customer is owed about an order: the outbox row behind it.

    Written in the transaction that decides it (the order is paid, the order is cancelled),
    so it exists exactly when that change does; one per order and kind, so it can never be
    queued twice. Sent after commit, off the request's path, and marked sent; a failed send
    keeps its error and is tried again (``apps.payment.mpesa.emails``).
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Order confirmation (paid)")
        CANCELLED = "cancelled", _("Order cancelled (not paid)")
        # Owed again by each refund completed on the order; lists all of them.
        REFUND = "refund", _("Money refunded")
        # A guest's order still unpaid after MPESA_PAY_REMINDER_MINUTES: its payment link.
        PAY_REMINDER = "pay_reminder", _("Pay your order (still unpaid)")

    order = models.ForeignKey("order.Order", on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # No sender touches the row before this time: set while one is sending it, and after a
    # failure (the retry's back-off).
    next_try_at = models.DateTimeField(null=True, blank=True)
    # The last failure, kept after a later success so the row tells what happened.
    last_error = models.TextField(blank=True)

    class Meta:
        app_label = "payment"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("order email")
        verbose_name_plural = _("order emails (outbox)")
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"], name="one_email_per_order_and_kind")
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True),
                name="order_email_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for order {self.order_id}"


from oscar.apps.payment.models import *  # noqa: E402


class MpesaPromptCount(models.Model):
    """How many PIN prompts went out in one time window for one phone, browser session,
    order or client address: what the prompt limits count.

    Kept in the database, not the cache, so that filling the cache can never evict a count
    and reset a limit. Only prompts that were sent (or may have been) are counted; the
    services take a slot with one conditional UPDATE per limit, so concurrent requests
    never overshoot (``apps.payment.mpesa.services.limits``). The value is stored as a keyed
    hash: session keys are secrets. ``mpesa_reconcile`` deletes windows that have ended.
    """

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        SESSION = "session", _("Browser session")
        ORDER = "order", _("Order")
        ADDRESS = "address", _("Client address")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(max_length=64)
    # The window's number: seconds since the epoch // MPESA_PROMPT_RATE_WINDOW_SECONDS.
    window = models.PositiveBigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "payment"
        verbose_name = _("M-Pesa prompt count")
        verbose_name_plural = _("M-Pesa prompt counts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key", "window"], name="one_prompt_count_per_window"
            )
        ]
        indexes = [models.Index(fields=["window"], name="prompt_count_window")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key[:8]}… window {self.window}: {self.count}"
