"""Paybill validation/confirmation rules and the staff actions, at the service layer."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from oscar.core.loading import get_model
from oscar.test.factories import UserFactory

from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa import services
from apps.payment.mpesa.c2b import normalise_account_number, parse_c2b

from .conftest import c2b_body, failure, initiate, query_answer

pytestmark = pytest.mark.django_db

Status = MpesaPaymentAttempt.Status
Transaction = get_model("payment", "Transaction")


def payment(**kwargs):
    return parse_c2b(json.dumps(c2b_body(**kwargs)))


@pytest.mark.parametrize(
    "typed, expected",
    [("100777", "100777"), (" #100777 ", "100777"), ("100 777", "100777"), ("ab-12", "AB12")],
)
def test_account_numbers_are_read_the_way_customers_type_them(typed, expected):
    assert normalise_account_number(typed) == expected


class TestValidation:
    def test_accepts_an_unpaid_order_paid_in_full_or_more(self, pending_order):
        assert services.c2b_validate(payment=payment(account="#100777")) == "0"
        assert services.c2b_validate(payment=payment(account="100777", amount="1300")) == "0"

    def test_accepts_less_than_the_amount_due_as_a_part_payment(self, pending_order):
        assert services.c2b_validate(payment=payment(account="100777", amount="1249")) == "0"
        assert services.c2b_validate(payment=payment(account="100777", amount="1")) == "0"

    def test_accepts_the_balance_after_a_part_payment(self, pending_order):
        services.c2b_confirm(
            payment=payment(account="100777", amount="1000", trans_id="RKL51ZDR4A")
        )

        assert services.c2b_validate(payment=payment(account="100777", amount="250")) == "0"

    def test_rejects_unknown_accounts_and_foreign_shortcodes(self, pending_order):
        assert services.c2b_validate(payment=payment(account="999")) == "C2B00012"
        assert services.c2b_validate(payment=payment(account="100777", shortcode="600000")) == (
            "C2B00015"
        )

    def test_rejects_an_order_that_is_no_longer_waiting(self, pending_order):
        pending_order.set_status("Cancelled")
        assert services.c2b_validate(payment=payment(account="100777")) == "C2B00012"


class TestEndpoints:
    def url(self, kind, settings, secret=None):
        return reverse(
            f"mpesa-c2b-{kind}", kwargs={"secret": secret or settings.MPESA_C2B_PATH_SECRET}
        )

    def test_confirmation_with_a_wrong_path_secret_changes_nothing(
        self, client, pending_order, settings
    ):
        response = client.post(
            self.url("confirmation", settings, secret="guess"),
            c2b_body("100777"),
            content_type="application/json",
        )
        assert response.status_code == 404
        assert not MpesaPaymentAttempt.objects.exists()

    @pytest.mark.parametrize(
        "body",
        [
            "nope",
            "[]",
            json.dumps({"TransID": "X"}),
            json.dumps(c2b_body("1", amount="-5")),
            # NUL characters, which PostgreSQL cannot keep: in a field read, in one kept.
            json.dumps(c2b_body("100777\x00")),
            json.dumps({**c2b_body("100777"), "ThirdPartyTransID": "\x00"}),
        ],
    )
    def test_malformed_bodies_are_refused_with_a_4xx(self, client, settings, body):
        response = client.post(
            self.url("confirmation", settings), body, content_type="application/json"
        )
        assert response.status_code == 400
        assert not MpesaPaymentAttempt.objects.exists()

    def test_validation_answers_in_daraja_shape(self, client, pending_order, settings):
        response = client.post(
            self.url("validation", settings), c2b_body("999"), content_type="application/json"
        )
        assert response.json() == {"ResultCode": "C2B00012", "ResultDesc": "Rejected"}

    def test_confirmation_is_idempotent_on_trans_id(self, client, pending_order, settings):
        for _ in range(2):
            response = client.post(
                self.url("confirmation", settings),
                c2b_body("100777"),
                content_type="application/json",
            )
            assert response.json() == {"ResultCode": 0, "ResultDesc": "Success"}
        assert MpesaPaymentAttempt.objects.count() == 1
        assert Transaction.objects.filter(txn_type=Transaction.DEBIT).count() == 1


def test_a_confirmation_for_another_shortcode_is_kept_for_staff_not_applied(pending_order):
    row = services.c2b_confirm(payment=payment(account="100777", shortcode="600000"))

    assert row.needs_attention and "shortcode 600000" in row.attention_reason
    pending_order.refresh_from_db()
    assert pending_order.status == "Pending payment"


class TestStaffActions:
    @pytest.fixture
    def staff(self):
        return UserFactory(is_staff=True)

    def test_mark_paid_with_a_receipt_pays_the_order_and_leaves_an_audit_trail(
        self, daraja, pending_order, staff, django_capture_on_commit_callbacks
    ):
        attempt = initiate(pending_order)
        services.attempt_settle(attempt_id=attempt.pk, outcome=failure(attempt, code="1037"))
        attempt.refresh_from_db()

        with django_capture_on_commit_callbacks(execute=True):
            services.staff_mark_paid(attempt=attempt, receipt_number=" nlj7rt61sv ", actor=staff)

        attempt.refresh_from_db()
        pending_order.refresh_from_db()
        assert pending_order.status == "Paid"
        assert attempt.receipt_number == "NLJ7RT61SV"
        assert attempt.events.filter(actor=staff, kind="succeeded").exists()

    def test_a_receipt_cannot_be_used_twice_and_a_receipt_is_required(
        self, daraja, pending_order, staff
    ):
        attempt = initiate(pending_order)
        with pytest.raises(services.MpesaPaymentError, match="receipt number"):
            services.staff_mark_paid(attempt=attempt, receipt_number="", actor=staff)
        services.c2b_confirm(payment=payment(account="999", trans_id="NLJ7RT61SV"))
        with pytest.raises(services.MpesaPaymentError, match="already recorded"):
            services.staff_mark_paid(attempt=attempt, receipt_number="NLJ7RT61SV", actor=staff)
        pending_order.refresh_from_db()
        assert pending_order.status == "Pending payment"

    def test_check_status_queries_now_and_records_who_asked(
        self, daraja, pending_order, staff, settings
    ):
        settings.MPESA_QUERY_AFTER_SECONDS = 3600  # the throttle would say no
        attempt = initiate(pending_order)
        daraja.query_answer = query_answer("failed", "1032", attempt.checkout_request_id)

        services.staff_check_status(attempt=attempt, actor=staff)

        attempt.refresh_from_db()
        assert daraja.queries == [attempt.checkout_request_id]
        assert attempt.status == Status.FAILED
        assert attempt.events.filter(kind="staff_check", actor=staff).exists()

    def test_matching_less_than_the_amount_due_applies_it_as_a_part_payment(
        self, pending_order, staff
    ):
        unmatched = services.c2b_confirm(payment=payment(account="999", amount="1000"))

        services.staff_match_payment(payment=unmatched, order_number="100777", actor=staff)

        unmatched.refresh_from_db()
        pending_order.refresh_from_db()
        assert unmatched.recorded_on_order and not unmatched.needs_attention
        assert pending_order.status == "Pending payment"
        assert services.order_money(pending_order).balance == Decimal("250")
        [debit] = Transaction.objects.filter(txn_type=Transaction.DEBIT)
        assert debit.amount == Decimal("1000") and debit.reference == unmatched.receipt_number

    def test_matching_more_than_the_balance_pays_the_order_and_flags_the_excess(
        self, pending_order, staff
    ):
        unmatched = services.c2b_confirm(payment=payment(account="999", amount="1300"))

        services.staff_match_payment(payment=unmatched, order_number="100777", actor=staff)

        unmatched.refresh_from_db()
        pending_order.refresh_from_db()
        assert pending_order.status == "Paid"
        assert unmatched.needs_attention and "KSh\xa050 beyond" in unmatched.attention_reason
        [debit] = Transaction.objects.filter(txn_type=Transaction.DEBIT)
        assert debit.amount == Decimal("1250")

    def test_matching_is_validated(self, pending_order, staff):
        unmatched = services.c2b_confirm(payment=payment(account="999", amount="1000"))
        pending_order.set_status("Cancelled")
        with pytest.raises(services.MpesaPaymentError, match="not waiting for payment"):
            services.staff_match_payment(payment=unmatched, order_number="100777", actor=staff)
        with pytest.raises(services.MpesaPaymentError, match="no order"):
            services.staff_match_payment(payment=unmatched, order_number="123", actor=staff)
        unmatched.refresh_from_db()
        assert unmatched.needs_attention

    def test_resolving_needs_a_note_and_closes_the_item(self, pending_order, staff):
        unmatched = services.c2b_confirm(payment=payment(account="999"))
        with pytest.raises(services.MpesaPaymentError):
            services.staff_resolve(payment=unmatched, actor=staff, note="  ")
        services.staff_resolve(payment=unmatched, actor=staff, note="Refunded from the portal")
        unmatched.refresh_from_db()
        assert not unmatched.needs_attention
        assert unmatched.resolved_by == staff and "Refunded" in unmatched.resolution_note


class TestTestPrompt:
    def test_sends_a_labelled_prompt_that_touches_no_order(self, daraja, pending_order):
        admin = UserFactory(is_staff=True, is_superuser=True)
        attempt = services.test_prompt_send(phone="0712 345 678", amount=1, actor=admin)

        assert attempt.is_test and attempt.order is None
        assert attempt.amount == Decimal("1")
        assert daraja.pushes[0]["description"] == "Setup test"
        with pytest.raises(services.MpesaPaymentError, match="One test prompt"):
            services.test_prompt_send(phone="0712 345 678", amount=1, actor=admin)

    def test_refuses_a_bad_number_before_any_prompt(self, daraja):
        admin = UserFactory(is_staff=True, is_superuser=True)
        with pytest.raises(services.MpesaPaymentError):
            services.test_prompt_send(phone="12345", amount=1, actor=admin)
        assert daraja.pushes == []


BAD_AMOUNTS = ["1e20", "12345678901.5", "1250.50", "250001"]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_validation_refuses_an_amount_m_pesa_cannot_move(pending_order, amount):
    assert services.c2b_validate(payment=payment(account="100777", amount=amount)) == "C2B00013"


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_a_confirmed_amount_m_pesa_cannot_move_is_kept_for_staff_and_pays_nothing(
    client, admin_client, pending_order, settings, amount
):
    url = reverse("mpesa-c2b-confirmation", kwargs={"secret": settings.MPESA_C2B_PATH_SECRET})

    response = client.post(url, c2b_body("100777", amount=amount), content_type="application/json")

    assert response.json() == {"ResultCode": 0, "ResultDesc": "Success"}
    row = MpesaPaymentAttempt.objects.get()
    assert row.status == Status.REVIEW and row.needs_attention
    assert row.amount_paid is None and "cannot be right" in row.attention_reason
    assert row.response_body["TransAmount"] == amount  # the claim, as it came
    pending_order.refresh_from_db()
    assert pending_order.status == "Pending payment"
    assert not Transaction.objects.filter(txn_type=Transaction.DEBIT).exists()
    for page in (
        reverse("mpesa-dashboard:transaction-list"),
        reverse("mpesa-dashboard:attention-inbox"),
        reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": row.pk}),
        reverse("mpesa-dashboard:transaction-export"),
        reverse("admin:payment_mpesapaymentattempt_changelist"),
        reverse("dashboard:order-detail", kwargs={"number": pending_order.number}),
    ):
        assert admin_client.get(page).status_code == 200, page
