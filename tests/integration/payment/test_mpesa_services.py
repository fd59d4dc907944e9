"""The M-Pesa services: one road for money, exactly once, nothing lost."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from oscar.core.loading import get_class, get_model

from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa import gateway, services

from .conftest import (
    failure,
    initiate,
    paybill_payment,
    place_pending_order,
    query_answer,
    success,
)

pytestmark = pytest.mark.django_db

Status = MpesaPaymentAttempt.Status
Transaction = get_model("payment", "Transaction")
PaymentEvent = get_model("order", "PaymentEvent")
PaymentEventType = get_model("order", "PaymentEventType")
SourceType = get_model("payment", "SourceType")
order_status_changed = get_class("order.signals", "order_status_changed")


def settle(attempt, outcome, capture):
    with capture(execute=True):
        return services.attempt_settle(attempt_id=attempt.pk, outcome=outcome)


def debits(order):
    return Transaction.objects.filter(source__order=order, txn_type=Transaction.DEBIT)


class TestInitiate:
    def test_records_the_attempt_and_sends_one_prompt_for_whole_shillings(
        self, daraja, pending_order
    ):
        attempt = initiate(pending_order)

        assert attempt.status == Status.PENDING
        assert attempt.checkout_request_id.startswith("ws_CO_TEST")
        assert attempt.amount == Decimal("1250")
        [push] = daraja.pushes
        assert push["amount"] == 1250
        assert push["account_reference"] == pending_order.number
        assert len(push["description"]) <= 13
        assert push["callback_url"].endswith(f"/payments/stk/callback/{attempt.raw_token}/")

    def test_callback_token_is_unguessable_and_url_avoids_words_safaricom_rejects(
        self, daraja, pending_order
    ):
        attempt = initiate(pending_order)
        # 32 random bytes in hex: no alphabet to spell "sql", "cmd" or "exe" with.
        assert re.fullmatch(r"[0-9a-f]{64}", attempt.raw_token)
        # Only a digest is kept: the database (and its lookups) never hold the token.
        assert attempt.callback_token == services.callback_token_digest(attempt.raw_token)
        assert attempt.raw_token not in str(attempt.request_body)
        lowered = daraja.pushes[0]["callback_url"].lower()
        for word in ("mpesa", "m-pesa", "safaricom", "exe", "cmd", "sql", "query"):
            assert word not in lowered

    def test_amount_with_cents_is_rounded_up_to_the_next_shilling(self):
        assert services.mpesa_amount(Decimal("1129.50")) == 1130
        assert services.mpesa_amount(Decimal("1130.00")) == 1130

    @pytest.mark.parametrize(
        "error, expected",
        [
            (gateway.DarajaConnectionError("refused"), "could not reach M-Pesa"),
            (gateway.DarajaBusy("System is busy", error_code="500.003.02"), "busy"),
            (gateway.DarajaAuthError("Wrong credentials"), "unavailable"),
            (
                gateway.DarajaRejected(
                    "Bad Request - Invalid PhoneNumber", error_code="400.002.02"
                ),
                "phone number",
            ),
        ],
    )
    def test_refused_push_raises_a_customer_message_and_closes_the_attempt(
        self, daraja, pending_order, error, expected
    ):
        daraja.push_error = error
        with pytest.raises(services.PushRefused) as excinfo:
            initiate(pending_order)
        assert expected in str(excinfo.value)
        attempt = MpesaPaymentAttempt.objects.get()
        assert attempt.status == Status.REFUSED
        # A refused push leaves no open attempt: the customer can try again at once.
        daraja.push_error = None
        assert initiate(pending_order).status == Status.PENDING

    def test_read_timeout_leaves_the_attempt_unconfirmed_and_never_resends(
        self, daraja, pending_order
    ):
        daraja.push_error = gateway.DarajaTimeout("read timed out")
        attempt = initiate(pending_order)
        assert attempt.status == Status.UNCONFIRMED
        assert len(daraja.pushes) == 1

    def test_a_proxy_error_page_instead_of_an_answer_is_treated_as_unknown(
        self, daraja, pending_order
    ):
        daraja.push_error = gateway.DarajaInvalidResponse("HTML 502", http_status=502)
        assert initiate(pending_order).status == Status.UNCONFIRMED

    def test_any_failure_to_get_a_token_means_no_prompt_was_sent(self, daraja, pending_order):
        daraja.token_error = gateway.DarajaInvalidResponse("HTML 502", http_status=502)
        with pytest.raises(services.PushRefused):
            initiate(pending_order)
        assert daraja.pushes == []
        assert MpesaPaymentAttempt.objects.get().status == Status.REFUSED

    def test_a_second_prompt_for_the_same_order_is_refused_while_one_is_open(
        self, daraja, pending_order
    ):
        initiate(pending_order)
        with pytest.raises(services.AttemptAlreadyOpen):
            initiate(pending_order)
        assert len(daraja.pushes) == 1


class TestSettle:
    def test_success_debits_the_source_once_marks_the_order_paid_and_sends_the_email(
        self, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        attempt = initiate(pending_order)
        result = settle(attempt, success(attempt), django_capture_on_commit_callbacks)

        assert result == services.SettleResult.APPLIED
        pending_order.refresh_from_db()
        attempt.refresh_from_db()
        assert pending_order.status == "Paid"
        assert attempt.status == Status.SUCCEEDED
        assert attempt.receipt_number == "NLJ7RT61SV"
        [debit] = debits(pending_order)
        assert debit.amount == Decimal("1250") and debit.reference == "NLJ7RT61SV"
        source = pending_order.sources.get()
        assert source.amount_debited == source.amount_allocated == Decimal("1250")
        assert (
            PaymentEvent.objects.filter(order=pending_order, event_type__name="Paid").count() == 1
        )
        [message] = mail.outbox
        assert message.to == ["wanjiku@example.com"]
        assert "M-Pesa receipt: NLJ7RT61SV" in message.body

    def test_a_duplicate_success_changes_nothing(
        self, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        attempt = initiate(pending_order)
        settle(attempt, success(attempt), django_capture_on_commit_callbacks)
        result = settle(attempt, success(attempt), django_capture_on_commit_callbacks)

        assert result == services.SettleResult.DUPLICATE
        assert debits(pending_order).count() == 1
        assert len(mail.outbox) == 1

    def test_a_failure_after_a_success_never_downgrades_it(
        self, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        attempt = initiate(pending_order)
        settle(attempt, success(attempt), django_capture_on_commit_callbacks)
        result = settle(attempt, failure(attempt), django_capture_on_commit_callbacks)

        assert result == services.SettleResult.IGNORED
        attempt.refresh_from_db()
        pending_order.refresh_from_db()
        assert attempt.status == Status.SUCCEEDED
        assert pending_order.status == "Paid"

    @pytest.mark.parametrize("placed_with_source", [True, False])
    def test_paying_keeps_oscar_s_records_as_set_status_allocate_and_debit_make_them(
        self, daraja, django_capture_on_commit_callbacks, placed_with_source
    ):
        order = place_pending_order("100790", lines=3, with_source=False)
        if placed_with_source:  # as checkout places it: the source, allocated, authorised
            source = services.new_unplaced_order_source(currency="KES", amount=Decimal("3750"))
            source.order = order
            source.save()
        moves = []

        def record(sender, order, old_status, new_status, **kwargs):
            moves.append((order.pk, old_status, new_status))

        order_status_changed.connect(record, dispatch_uid="test-order-moves")
        try:
            attempt = initiate(order)
            settle(
                attempt, success(attempt, receipt="RCPT03750"), django_capture_on_commit_callbacks
            )
        finally:
            order_status_changed.disconnect(dispatch_uid="test-order-moves")

        order.refresh_from_db()
        assert order.status == "Paid"
        assert moves == [(order.pk, "Pending payment", "Paid")]
        assert list(order.status_changes.values_list("old_status", "new_status")) == [
            ("Pending payment", "Paid")
        ]
        assert set(order.lines.values_list("status", flat=True)) == {"Paid"}
        source = order.sources.get()
        assert source.source_type.code == "mpesa" and source.currency == "KES"
        assert source.amount_allocated == source.amount_debited == Decimal("3750")
        assert source.amount_refunded == 0
        authorise = (
            Transaction.AUTHORISE,
            Decimal("3750"),
            "" if placed_with_source else "RCPT03750",
        )
        assert list(
            source.transactions.order_by("pk").values_list("txn_type", "amount", "reference")
        ) == [
            authorise,
            (Transaction.DEBIT, Decimal("3750"), "RCPT03750"),
        ]
        [event] = PaymentEvent.objects.filter(order=order)
        assert (event.event_type.name, event.amount, event.reference) == (
            "Paid",
            Decimal("3750"),
            "RCPT03750",
        )
        assert sorted(event.line_quantities.values_list("line_id", "quantity")) == sorted(
            order.lines.values_list("pk", "quantity")
        )

    def test_a_missing_type_row_is_made_again_and_the_payment_recorded(
        self, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        # As after a flush that skipped post_migrate: no "Paid" event type, no M-Pesa source type.
        PaymentEventType.objects.all().delete()
        SourceType.objects.all().delete()
        attempt = initiate(pending_order)

        result = settle(attempt, success(attempt), django_capture_on_commit_callbacks)

        assert result == services.SettleResult.APPLIED
        pending_order.refresh_from_db()
        assert pending_order.status == "Paid"
        assert pending_order.payment_events.get().event_type.name == "Paid"
        assert pending_order.sources.get().source_type.code == "mpesa"

    def test_a_receipt_another_payment_took_after_the_check_still_flags_this_one(
        self, daraja, pending_order, monkeypatch, django_capture_on_commit_callbacks
    ):
        first = initiate(pending_order)
        settle(first, success(first), django_capture_on_commit_callbacks)
        other = services.stk_push_initiate(
            order_number="100888", amount=Decimal("1250"), phone="254712345678"
        )
        locked = services.settle._attempt_locked
        reads = []

        def read_before_the_other_committed(**lookup):
            attempt = locked(**lookup)
            if not reads:
                attempt.receipt_taken = False
            reads.append(attempt.pk)
            return attempt

        monkeypatch.setattr(services.settle, "_attempt_locked", read_before_the_other_committed)
        result = settle(other, success(other), django_capture_on_commit_callbacks)

        assert result == services.SettleResult.REVIEW
        assert reads == [other.pk, other.pk]  # refused by the unique receipt, run again
        other.refresh_from_db()
        assert other.receipt_number is None and other.needs_attention

    def test_a_success_after_a_failure_still_pays_the_order(
        self, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        attempt = initiate(pending_order)
        settle(attempt, failure(attempt, code="1037"), django_capture_on_commit_callbacks)
        settle(attempt, success(attempt), django_capture_on_commit_callbacks)

        pending_order.refresh_from_db()
        assert pending_order.status == "Paid"
        assert debits(pending_order).count() == 1

    def test_a_different_amount_is_kept_for_staff_and_the_order_stays_pending(
        self, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        attempt = initiate(pending_order)
        result = settle(
            attempt, success(attempt, amount=Decimal("1")), django_capture_on_commit_callbacks
        )

        assert result == services.SettleResult.REVIEW
        attempt.refresh_from_db()
        pending_order.refresh_from_db()
        assert attempt.status == Status.REVIEW
        assert attempt.needs_attention and "Paid KSh\xa01," in attempt.attention_reason
        assert attempt.receipt_number == "NLJ7RT61SV"
        assert pending_order.status == "Pending payment"
        assert not debits(pending_order).exists()

    def test_an_outcome_for_another_checkout_request_is_refused(
        self, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        attempt = initiate(pending_order)
        result = settle(
            attempt,
            success(attempt, checkout_request_id="ws_CO_SOMEONE_ELSE"),
            django_capture_on_commit_callbacks,
        )
        assert result == services.SettleResult.MISMATCH
        attempt.refresh_from_db()
        assert attempt.status == Status.PENDING
        assert not debits(pending_order).exists()

    def test_money_for_an_order_already_paid_is_flagged_not_debited_twice(
        self, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        first = initiate(pending_order)
        # The first prompt looked lost, so the customer asked for another and approved both.
        services.attempt_flag(attempt=first, reason="scripted")
        MpesaPaymentAttempt.objects.filter(pk=first.pk).update(status=Status.EXPIRED)
        second = initiate(pending_order)
        settle(second, success(second, receipt="RCPT000002"), django_capture_on_commit_callbacks)
        first.refresh_from_db()
        settle(first, success(first, receipt="RCPT000001"), django_capture_on_commit_callbacks)

        first.refresh_from_db()
        assert first.status == Status.SUCCEEDED
        assert first.needs_attention and "already paid" in first.attention_reason
        assert debits(pending_order).count() == 1
        assert len(mail.outbox) == 1

    def test_a_receipt_cannot_pay_two_attempts(
        self, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        first = initiate(pending_order)
        settle(first, success(first), django_capture_on_commit_callbacks)
        other = services.stk_push_initiate(
            order_number="100888", amount=Decimal("1250"), phone="254712345678"
        )
        result = settle(other, success(other), django_capture_on_commit_callbacks)

        assert result == services.SettleResult.REVIEW
        other.refresh_from_db()
        assert other.receipt_number is None and other.needs_attention

    def test_a_callback_faster_than_the_order_is_applied_when_the_order_is_attached(
        self, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        attempt = services.stk_push_initiate(
            order_number=pending_order.number, amount=Decimal("1250"), phone="254712345678"
        )
        settle(attempt, success(attempt), django_capture_on_commit_callbacks)
        pending_order.refresh_from_db()
        assert pending_order.status == "Pending payment"

        with django_capture_on_commit_callbacks(execute=True):
            services.attempt_attach_order(attempt=attempt, order=pending_order)

        pending_order.refresh_from_db()
        assert pending_order.status == "Paid"
        assert debits(pending_order).count() == 1


class TestQuery:
    def test_pending_answer_changes_nothing_and_the_next_query_waits(
        self, daraja, pending_order, settings
    ):
        settings.MPESA_QUERY_AFTER_SECONDS = 0
        settings.MPESA_QUERY_INTERVAL_SECONDS = 60
        attempt = initiate(pending_order)
        daraja.query_answer = query_answer("pending", None)

        assert services.attempt_refresh_from_daraja(attempt=attempt) is None
        attempt.refresh_from_db()
        assert services.attempt_refresh_from_daraja(attempt=attempt) is None
        assert len(daraja.queries) == 1
        assert attempt.status == Status.PENDING

    def test_no_query_before_the_callback_had_its_chance(self, daraja, pending_order, settings):
        settings.MPESA_QUERY_AFTER_SECONDS = 30
        attempt = initiate(pending_order)
        assert services.attempt_refresh_from_daraja(attempt=attempt) is None
        assert daraja.queries == []

    def test_success_answer_pays_the_order_and_a_late_callback_adds_the_receipt(
        self, daraja, pending_order, settings, django_capture_on_commit_callbacks
    ):
        settings.MPESA_QUERY_AFTER_SECONDS = 0
        attempt = initiate(pending_order)
        daraja.query_answer = query_answer("success", "0", attempt.checkout_request_id)
        with django_capture_on_commit_callbacks(execute=True):
            services.attempt_refresh_from_daraja(attempt=attempt)
        pending_order.refresh_from_db()
        assert pending_order.status == "Paid"

        settle(attempt, success(attempt), django_capture_on_commit_callbacks)
        [debit] = debits(pending_order)
        assert debit.reference == "NLJ7RT61SV"
        assert len(mail.outbox) == 1

    def test_failure_answer_fails_the_attempt(self, daraja, pending_order, settings):
        settings.MPESA_QUERY_AFTER_SECONDS = 0
        attempt = initiate(pending_order)
        daraja.query_answer = query_answer("failed", "1032", attempt.checkout_request_id)
        services.attempt_refresh_from_daraja(attempt=attempt)
        attempt.refresh_from_db()
        assert attempt.status == Status.FAILED and attempt.result_code == "1032"

    def test_a_query_error_is_recorded_and_changes_nothing(self, daraja, pending_order, settings):
        settings.MPESA_QUERY_AFTER_SECONDS = 0
        attempt = initiate(pending_order)
        daraja.query_answer = gateway.DarajaBusy("Spike arrest", error_code="500.003.02")
        assert services.attempt_refresh_from_daraja(attempt=attempt) is None
        attempt.refresh_from_db()
        assert attempt.status == Status.PENDING
        assert attempt.events.filter(kind="query_error").exists()


class TestResend:
    def test_refused_while_the_last_prompt_is_open(self, daraja, pending_order, settings):
        initiate(pending_order)
        with pytest.raises(services.AttemptAlreadyOpen):
            services.stk_push_resend(order=pending_order, phone="254712345678")

    def test_allowed_after_a_failure_and_spaced_for_the_same_phone(
        self, daraja, pending_order, settings, django_capture_on_commit_callbacks
    ):
        settings.MPESA_RESEND_SPACING_SECONDS = 120
        attempt = initiate(pending_order)
        settle(attempt, failure(attempt), django_capture_on_commit_callbacks)

        with pytest.raises(services.ResendTooSoon) as excinfo:
            services.stk_push_resend(order=pending_order, phone="254712345678")
        assert 0 < excinfo.value.wait_seconds <= 120

        other_phone = services.stk_push_resend(order=pending_order, phone="254722000111")
        assert other_phone.status == Status.PENDING and other_phone.order == pending_order

    def test_an_unconfirmed_prompt_can_be_sent_again(self, daraja, pending_order, settings):
        settings.MPESA_RESEND_SPACING_SECONDS = 0
        daraja.push_error = gateway.DarajaTimeout("read timed out")
        first = initiate(pending_order)
        daraja.push_error = None
        second = services.stk_push_resend(order=pending_order, phone="254712345678")
        first.refresh_from_db()
        assert first.status == Status.EXPIRED
        assert second.status == Status.PENDING

    def test_a_paid_order_takes_no_new_prompt(
        self, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        attempt = initiate(pending_order)
        settle(attempt, success(attempt), django_capture_on_commit_callbacks)
        pending_order.refresh_from_db()
        with pytest.raises(services.OrderNotPayable):
            services.stk_push_resend(order=pending_order, phone="254712345678")


class TestReconcile:
    def test_settles_open_attempts_from_daraja(
        self, daraja, pending_order, settings, django_capture_on_commit_callbacks
    ):
        settings.MPESA_QUERY_AFTER_SECONDS = 0
        attempt = initiate(pending_order)
        daraja.query_answer = query_answer("success", "0", attempt.checkout_request_id)
        with django_capture_on_commit_callbacks(execute=True):
            report = services.mpesa_reconcile()
        assert report.settled == 1
        pending_order.refresh_from_db()
        assert pending_order.status == "Paid"

    def test_expires_unanswered_attempts_then_cancels_the_order_and_releases_stock(
        self, daraja, pending_order, settings, django_capture_on_commit_callbacks
    ):
        settings.MPESA_QUERY_AFTER_SECONDS = 0
        daraja.query_answer = query_answer("pending", None)
        attempt = initiate(pending_order)
        line = pending_order.lines.get()
        assert line.stockrecord.num_allocated == 1
        later = timezone.now() + timedelta(minutes=settings.MPESA_ORDER_EXPIRY_MINUTES + 1)
        type(pending_order).objects.filter(pk=pending_order.pk).update(
            date_placed=timezone.now() - timedelta(minutes=settings.MPESA_ORDER_EXPIRY_MINUTES)
        )

        with django_capture_on_commit_callbacks(execute=True):
            report = services.mpesa_reconcile(now=later)

        assert report.expired_attempts == 1 and report.cancelled_orders == 1
        attempt.refresh_from_db()
        pending_order.refresh_from_db()
        line.stockrecord.refresh_from_db()
        assert attempt.status == Status.EXPIRED
        assert pending_order.status == "Cancelled"
        assert line.stockrecord.num_allocated == 0
        [message] = mail.outbox
        assert message.to == ["wanjiku@example.com"] and "cancelled" in message.subject

    def test_a_late_success_after_cancellation_is_kept_and_flagged(
        self, daraja, pending_order, settings, django_capture_on_commit_callbacks
    ):
        attempt = initiate(pending_order)
        MpesaPaymentAttempt.objects.filter(pk=attempt.pk).update(status=Status.EXPIRED)
        services.order_cancel_unpaid(order_id=pending_order.pk)
        settle(attempt, success(attempt), django_capture_on_commit_callbacks)

        attempt.refresh_from_db()
        assert attempt.status == Status.SUCCEEDED and attempt.receipt_number
        assert attempt.needs_attention and "cancelled" in attempt.attention_reason
        assert not debits(pending_order).exists()

    def test_a_part_paid_order_past_its_time_is_kept_and_flagged_once_not_cancelled(
        self, pending_order, settings, django_capture_on_commit_callbacks
    ):
        part = services.c2b_confirm(payment=paybill_payment(pending_order.number, "1000"))
        type(pending_order).objects.filter(pk=pending_order.pk).update(
            date_placed=timezone.now() - timedelta(minutes=settings.MPESA_ORDER_EXPIRY_MINUTES)
        )
        later = timezone.now() + timedelta(minutes=1)

        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                report = services.mpesa_reconcile(now=later)

        assert report.cancelled_orders == 0
        pending_order.refresh_from_db()
        part.refresh_from_db()
        assert pending_order.status == "Pending payment"
        assert part.needs_attention
        assert "paid KSh\xa01,000 of KSh\xa01,250; refund or follow up" in part.attention_reason
        assert part.events.filter(kind="balance_overdue").count() == 1
