"""One M-Pesa transaction in the dashboard: its record, timeline and raw exchanges, and
the staff actions on it, each recorded with who acted."""

import html
import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from oscar.core.loading import get_model

from apps.payment.models import MpesaCallback, MpesaPaymentAttempt
from apps.payment.mpesa import services
from tests.integration.payment.conftest import failure, initiate, query_answer
from tests.integration.payment.conftest import paybill_confirmed as paybill

from .conftest import join_payments_staff

pytestmark = pytest.mark.django_db

Status = MpesaPaymentAttempt.Status
PaymentEvent = get_model("order", "PaymentEvent")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(join_payments_staff(staff))
    return client


def detail_url(attempt) -> str:
    return reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": attempt.pk})


def action_url(name: str, attempt) -> str:
    return reverse(f"mpesa-dashboard:transaction-{name}", kwargs={"pk": attempt.pk})


def shown_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# The "I checked this receipt on the M-Pesa statement" box, ticked.
CONFIRMED = {"confirmed": "on"}


def paid_events(order) -> int:
    return PaymentEvent.objects.filter(order=order, event_type__name="Paid").count()


class TestDetailPage:
    def test_shows_the_record_order_link_timeline_with_actor_and_redacted_bodies(
        self, staff_client, staff, daraja, pending_order
    ):
        attempt = initiate(pending_order)
        MpesaPaymentAttempt.objects.filter(pk=attempt.pk).update(
            request_body={"BusinessShortCode": "174379", "Password": "c2VjcmV0LXBhc3N3b3Jk"}
        )
        MpesaCallback.objects.create(
            attempt=attempt,
            token=attempt.callback_token,
            body=json.dumps({"Body": {"stkCallback": {"ResultCode": 1032, "ResultDesc": "x"}}}),
            outcome=MpesaCallback.Outcome.APPLIED,
        )
        services.attempt_flag(attempt=attempt, reason="Looks odd", actor=staff)

        response = staff_client.get(detail_url(attempt))

        page = html.unescape(response.content.decode())
        assert response.status_code == 200
        assert attempt.checkout_request_id in page
        # Masked as on the list and for Paybill payments, in the raw exchanges too.
        assert "2547****5678" in page
        assert "254712345678" not in page
        assert reverse("dashboard:order-detail", kwargs={"number": "100777"}) in page
        assert '"BusinessShortCode": "174379"' in page
        assert "c2VjcmV0LXBhc3N3b3Jk" not in page
        assert '"ResultCode": 1032' in page
        timeline = [(e.kind, e.actor) for e in response.context["events"]]
        assert ("created", None) in timeline
        assert ("needs_attention", staff) in timeline
        assert "staff@duka.example" in page
        assert attempt.callback_token not in page

    def test_an_unknown_transaction_is_a_404(self, staff_client):
        assert staff_client.get("/dashboard/mpesa/999999/").status_code == 404


class TestCheckStatus:
    def test_asks_mpesa_now_settles_and_records_who_asked(
        self,
        staff_client,
        staff,
        daraja,
        pending_order,
        settings,
        django_capture_on_commit_callbacks,
    ):
        settings.MPESA_QUERY_AFTER_SECONDS = 3600  # the automatic throttle would not ask yet
        attempt = initiate(pending_order)
        daraja.query_answer = query_answer("success", "0", attempt.checkout_request_id)

        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(action_url("check-status", attempt))

        assert response.status_code == 302 and response["Location"] == detail_url(attempt)
        attempt.refresh_from_db()
        pending_order.refresh_from_db()
        assert daraja.queries == [attempt.checkout_request_id]
        assert attempt.status == Status.SUCCEEDED
        assert pending_order.status == "Paid"
        assert attempt.events.filter(kind="staff_check", actor=staff).exists()
        assert any("Paid" in message for message in shown_messages(response))

    def test_a_paybill_payment_cannot_be_checked_and_says_why(self, staff_client, pending_order):
        payment = paybill("100777")
        response = staff_client.post(action_url("check-status", payment), follow=True)
        assert "Only STK pushes can be checked" in response.content.decode()

    def test_actions_only_accept_post(self, staff_client, daraja, pending_order):
        attempt = initiate(pending_order)
        for name in ("check-status", "mark-paid", "match", "resolve"):
            assert staff_client.get(action_url(name, attempt)).status_code == 405
        assert daraja.queries == []


class TestMarkPaid:
    def test_pays_the_order_with_the_receipt_and_records_who_did_it(
        self, staff_client, staff, daraja, pending_order, django_capture_on_commit_callbacks
    ):
        attempt = initiate(pending_order)
        services.attempt_settle(attempt_id=attempt.pk, outcome=failure(attempt, code="1037"))
        page = staff_client.get(detail_url(attempt)).content.decode()
        assert "Mark paid with receipt" in page

        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(
                action_url("mark-paid", attempt),
                {"receipt_number": " nlj7rt61sv ", "note": "Seen on the statement", **CONFIRMED},
                follow=True,
            )

        attempt.refresh_from_db()
        pending_order.refresh_from_db()
        assert attempt.receipt_number == "NLJ7RT61SV"
        assert pending_order.status == "Paid"
        assert paid_events(pending_order) == 1
        assert attempt.events.filter(actor=staff, kind="succeeded").exists()
        assert "Recorded as paid with receipt NLJ7RT61SV" in response.content.decode()

    def test_a_receipt_already_used_is_refused_and_nothing_is_paid(
        self, staff_client, daraja, pending_order
    ):
        paybill("999", trans_id="NLJ7RT61SV")  # the receipt belongs to another payment
        attempt = initiate(pending_order)

        response = staff_client.post(
            action_url("mark-paid", attempt),
            {"receipt_number": "NLJ7RT61SV", **CONFIRMED},
            follow=True,
        )

        assert "Receipt NLJ7RT61SV is already recorded" in response.content.decode()
        attempt.refresh_from_db()
        pending_order.refresh_from_db()
        assert attempt.receipt_number is None
        assert pending_order.status == "Pending payment"

    @pytest.mark.parametrize("receipt", ["", "NLJ 7RT", "short"])
    def test_a_receipt_number_is_required_and_checked(
        self, staff_client, daraja, pending_order, receipt
    ):
        attempt = initiate(pending_order)
        response = staff_client.post(
            action_url("mark-paid", attempt), {"receipt_number": receipt, **CONFIRMED}, follow=True
        )
        assert response.status_code == 200
        assert shown_messages(response)
        pending_order.refresh_from_db()
        assert pending_order.status == "Pending payment"


class TestInboxActions:
    def test_staff_match_an_unmatched_paybill_payment_and_the_order_is_paid_once(
        self, staff_client, staff, pending_order, django_capture_on_commit_callbacks
    ):
        unmatched = paybill("10O777")  # a typo in the account number
        assert unmatched.needs_attention
        inbox = staff_client.get(reverse("mpesa-dashboard:attention-inbox"))
        assert list(inbox.context["transactions"]) == [unmatched]
        assert "Match to an order" in staff_client.get(detail_url(unmatched)).content.decode()

        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(
                action_url("match", unmatched), {"order_number": " #100777 "}, follow=True
            )
        again = staff_client.post(
            action_url("match", unmatched), {"order_number": "100777"}, follow=True
        )

        unmatched.refresh_from_db()
        pending_order.refresh_from_db()
        assert "Payment matched to order 100777" in response.content.decode()
        assert "nothing left to match" in again.content.decode()
        assert pending_order.status == "Paid"
        assert paid_events(pending_order) == 1
        assert unmatched.order == pending_order and not unmatched.needs_attention
        assert unmatched.resolved_by == staff
        assert unmatched.events.filter(kind="staff_match", actor=staff).exists()
        inbox = staff_client.get(reverse("mpesa-dashboard:attention-inbox"))
        assert list(inbox.context["transactions"]) == []

    def test_an_invalid_match_is_refused_with_the_reason(self, staff_client, pending_order):
        unmatched = paybill("999")

        response = staff_client.post(
            action_url("match", unmatched), {"order_number": "100999"}, follow=True
        )

        assert "There is no order 100999" in response.content.decode()
        unmatched.refresh_from_db()
        pending_order.refresh_from_db()
        assert unmatched.needs_attention and pending_order.status == "Pending payment"

    def test_resolve_needs_a_note_then_closes_the_item_with_who_and_why(
        self, staff_client, staff, pending_order
    ):
        unmatched = paybill("999")

        refused = staff_client.post(action_url("resolve", unmatched), {"note": "   "}, follow=True)
        unmatched.refresh_from_db()
        assert unmatched.needs_attention
        assert shown_messages(refused)

        response = staff_client.post(
            action_url("resolve", unmatched),
            {"note": "Refunded from the M-Pesa portal"},
            follow=True,
        )

        unmatched.refresh_from_db()
        assert not unmatched.needs_attention
        assert unmatched.resolved_by == staff
        assert unmatched.resolution_note == "Refunded from the M-Pesa portal"
        assert unmatched.events.filter(kind="staff_resolve", actor=staff).exists()
        page = response.content.decode()
        assert "Marked as resolved" in page
        assert "Resolved by staff@duka.example" in page
