"""The simulator's state lives in the database, so every worker process answers the same."""

from django.db import models


class AccessToken(models.Model):
    """An OAuth token the simulator issued; valid until ``expires_at``."""

    token = models.CharField(max_length=64, unique=True)
    consumer_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token for {self.consumer_key} until {self.expires_at:%H:%M:%S}"


class StkPush(models.Model):
    """One STK push the simulator accepted, and where its prompt stands."""

    class State(models.TextChoices):
        PENDING = "pending", "Prompt open"
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Failed"

    checkout_request_id = models.CharField(max_length=64, unique=True)
    merchant_request_id = models.CharField(max_length=64)
    business_shortcode = models.CharField(max_length=20)
    transaction_type = models.CharField(max_length=40)
    party_b = models.CharField(max_length=20)
    phone = models.CharField(max_length=12, db_index=True)
    amount = models.PositiveIntegerField()
    account_reference = models.CharField(max_length=12)
    transaction_desc = models.CharField(max_length=13)
    callback_url = models.CharField(max_length=2000)
    scenario = models.CharField(max_length=40)
    # Scheduled outcomes (the test numbers) take effect at ``decides_at``; prompts on the
    # virtual phone wait for a person until ``expires_at``.
    planned_result_code = models.IntegerField(null=True, blank=True)
    decides_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    result_code = models.IntegerField(null=True, blank=True)
    result_desc = models.CharField(max_length=255, blank=True)
    receipt_number = models.CharField(max_length=20, blank=True)
    transaction_date = models.CharField(max_length=14, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.checkout_request_id} ({self.state})"

    @property
    def is_interactive(self) -> bool:
        return self.decides_at is None


class C2BRegistration(models.Model):
    """The URLs registered for a shortcode (the latest registration wins, as in the sandbox)."""

    shortcode = models.CharField(max_length=20, unique=True)
    response_type = models.CharField(max_length=20)
    confirmation_url = models.CharField(max_length=2000)
    validation_url = models.CharField(max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"C2B URLs of {self.shortcode}"


class C2BPayment(models.Model):
    """A Paybill payment made through ``c2b/v2/simulate``."""

    class State(models.TextChoices):
        SENT = "sent", "Being delivered"
        CONFIRMED = "confirmed", "Confirmation delivered"
        REJECTED = "rejected", "Rejected by validation"
        UNDELIVERED = "undelivered", "Confirmation not delivered"

    trans_id = models.CharField(max_length=20, unique=True)
    shortcode = models.CharField(max_length=20)
    command_id = models.CharField(max_length=40)
    amount = models.PositiveIntegerField()
    msisdn = models.CharField(max_length=12)
    bill_ref_number = models.CharField(max_length=20, blank=True)
    trans_time = models.CharField(max_length=14)
    state = models.CharField(max_length=20, choices=State.choices, default=State.SENT)
    validation_result = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"C2B {self.trans_id}"


class Disbursement(models.Model):
    """Money the simulator sent out of a shortcode: a reversal of a payment or a B2C payment
    to a phone, decided once, its result POSTed to the request's ResultURL."""

    class Kind(models.TextChoices):
        REVERSAL = "reversal", "Reversal"
        B2C = "b2c", "B2C payment"

    class State(models.TextChoices):
        PENDING = "pending", "Being processed"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    originator_conversation_id = models.CharField(max_length=100, unique=True)
    conversation_id = models.CharField(max_length=64, unique=True)
    shortcode = models.CharField(max_length=20)
    # The receipt a reversal undoes; the phone the money goes to (the payer's, for a reversal).
    original_receipt = models.CharField(max_length=20, blank=True, db_index=True)
    phone = models.CharField(max_length=12, blank=True)
    amount = models.PositiveIntegerField()
    result_url = models.CharField(max_length=2000)
    timeout_url = models.CharField(max_length=2000)
    remarks = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    result_code = models.CharField(max_length=20, blank=True)
    result_desc = models.CharField(max_length=255, blank=True)
    receipt_number = models.CharField(max_length=20, blank=True)
    completed_at = models.CharField(max_length=14, blank=True)
    # How many times the result is POSTed (0: the result callback is lost).
    deliveries = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.originator_conversation_id} ({self.state})"


class HandReversal(models.Model):
    """A payment reversed by hand in the M-Pesa organisation portal, outside the API: a
    reversal of it through the API then fails as already reversed."""

    receipt_number = models.CharField(max_length=20, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.receipt_number} reversed in the portal"


class FloatAccount(models.Model):
    """What a shortcode holds to pay refunds from (``DARAJA_SIMULATOR_FLOAT`` to start)."""

    shortcode = models.CharField(max_length=20, unique=True)
    balance = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.shortcode}: KSh {self.balance}"


class CallbackDelivery(models.Model):
    """Each POST the simulator made to the shop, with the answer, for debugging callbacks."""

    class Kind(models.TextChoices):
        STK_CALLBACK = "stk", "STK callback"
        C2B_VALIDATION = "c2b-validation", "C2B validation"
        C2B_CONFIRMATION = "c2b-confirmation", "C2B confirmation"
        REFUND_RESULT = "refund-result", "Reversal or B2C result"
        STATUS_RESULT = "status-result", "Transaction Status result"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    reference = models.CharField(max_length=64, db_index=True)
    url = models.CharField(max_length=2000)
    body = models.TextField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.reference}: {self.status_code or self.error}"
