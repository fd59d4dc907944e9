"""The M-Pesa pages say things one way: amounts as KSh 3,150, phones masked alike for STK
and Paybill, timeline events in words, a search that finds emails and payer names, a
date range that makes sense, a confirmed "Mark paid", and resolved items that say so."""

import csv
import html
import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

import apps.payment.mpesa.services as services_package
from apps.payment.models import MpesaAttemptEvent, MpesaPaymentAttempt
from apps.payment.mpesa import services
from apps.payment.mpesa.display import EVENT_LABELS, event_label, phone_shown
from tests.integration.payment.conftest import failure, initiate

from .conftest import join_payments_staff

pytestmark = pytest.mark.django_db

Status = MpesaPaymentAttempt.Status
Channel = MpesaPaymentAttempt.Channel
LIST_URL = reverse("mpesa-dashboard:transaction-list")
INBOX_URL = reverse("mpesa-dashboard:attention-inbox")
HASHED_MSISDN = "f3c4a1b8e2d94c7a9e0b6d5f1a2c3e4b5d6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"


@pytest.fixture
def staff_client(client, staff):
    client.force_login(join_payments_staff(staff))
    return client


def detail_url(attempt) -> str:
    return reverse("mpesa-dashboard:transaction-detail", kwargs={"pk": attempt.pk})


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def listed(response) -> list:
    return list(response.context["transactions"])


def paybill_row(make_attempt, **fields):
    values = {
        "channel": Channel.PAYBILL,
        "checkout_request_id": None,
        "phone": "2547 ***** 126",
        "payer_name": "NICHOLAS",
        "bill_ref_number": "100777",
        "guest_email": "",
    }
    return make_attempt(**{**values, **fields})


# --- Amounts --------------------------------------------------------------------------------


def test_amounts_read_ksh_on_the_list_detail_timeline_and_attention_reason(
    staff_client, make_attempt
):
    attempt = make_attempt(
        amount=Decimal("3150"),
        amount_paid=Decimal("3000"),
        status=Status.REVIEW,
        needs_attention=True,
        attention_reason="Paid KES 3000.00, prompted for KES 3150",
    )
    MpesaAttemptEvent.objects.create(
        attempt=attempt, kind="review", message="Paid KES 3000.00, prompted for KES 3150"
    )

    listing = page_of(staff_client.get(LIST_URL))
    detail = page_of(staff_client.get(detail_url(attempt)))

    assert "KSh\xa03,150" in listing and "KSh\xa03,000" in listing
    assert "Paid KSh\xa03,000, prompted for KSh\xa03,150" in listing  # the badge's reason
    assert "KSh\xa03,150" in detail and "KSh\xa03,000" in detail
    assert "Paid KSh\xa03,000, prompted for KSh\xa03,150" in detail
    assert "KES 3" not in detail


def test_the_csv_keeps_plain_numbers(staff_client, make_attempt):
    make_attempt(amount=Decimal("3150"), amount_paid=Decimal("3150"))

    response = staff_client.get(reverse("mpesa-dashboard:transaction-export"))

    text = b"".join(response.streaming_content).decode()
    header, row = list(csv.reader(io.StringIO(text)))
    record = dict(zip(header, row, strict=True))
    assert record["Amount requested"] == "3150.00"
    assert "KSh" not in text


def test_a_refusal_names_amounts_in_ksh(staff_client, make_attempt, monkeypatch):
    attempt = make_attempt(status=Status.REVIEW, needs_attention=True)

    def refuse(**kwargs):
        raise services.MpesaPaymentError("This payment is KES 1000 but the order is due KES 1250.")

    monkeypatch.setattr(services, "staff_match_payment", refuse)
    response = staff_client.post(
        reverse("mpesa-dashboard:transaction-match", kwargs={"pk": attempt.pk}),
        {"order_number": "100777"},
    )

    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert shown == ["This payment is KSh\xa01,000 but the order is due KSh\xa01,250."]


# --- Phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent, shown",
    [
        ("254712345678", "2547****5678"),
        ("0712 345 678", "2547****5678"),
        ("2547 ***** 126", "2547*****126"),
        ("2547****126", "2547*****126"),
        (HASHED_MSISDN, "hidden by Safaricom"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_phone_is_shown_one_way_whatever_mpesa_sent(sent, shown):
    assert phone_shown(sent) == shown


def test_stk_and_paybill_phones_read_alike_on_the_list_inbox_and_detail(staff_client, make_attempt):
    stk = make_attempt(phone="254712345678", paid_phone="254712345678")
    masked = paybill_row(make_attempt, needs_attention=True, status=Status.REVIEW)
    hashed = paybill_row(make_attempt, phone=HASHED_MSISDN, receipt_number="RHASH00001")

    listing = page_of(staff_client.get(LIST_URL))
    inbox = page_of(staff_client.get(INBOX_URL))
    pages = {row: page_of(staff_client.get(detail_url(row))) for row in (stk, masked, hashed)}

    for page in (listing, pages[stk]):
        assert "2547****5678" in page and "254712345678" not in page
    for page in (listing, inbox, pages[masked]):
        assert "2547*****126" in page and "2547 ***** 126" not in page
    for page in (listing, pages[hashed]):
        assert "hidden by Safaricom" in page and HASHED_MSISDN not in page


def test_the_raw_exchanges_show_the_phone_masked(staff_client, daraja, pending_order):
    attempt = initiate(pending_order)
    MpesaPaymentAttempt.objects.filter(pk=attempt.pk).update(
        request_body={"PhoneNumber": "254712345678", "PartyA": "254712345678", "PartyB": "174379"}
    )
    attempt.callbacks.create(
        token=attempt.callback_token,
        body='{"Body": {"stkCallback": {"CallbackMetadata": {"Item": '
        '[{"Name": "PhoneNumber", "Value": 254712345678}]}}}}',
    )

    page = page_of(staff_client.get(detail_url(attempt)))

    assert "254712345678" not in page
    assert '"PhoneNumber": "2547****5678"' in page
    assert '"Value": "2547****5678"' in page
    assert '"PartyB": "174379"' in page


# --- Timeline ---------------------------------------------------------------------------------


def _kinds_the_services_write() -> set[str]:
    source = "\n".join(
        path.read_text() for path in Path(services_package.__file__).parent.glob("*.py")
    )
    return set(re.findall(r"_(?:record_)?event\(\s*\w+,\s*\"([a-z0-9_]+)\"", source))


def test_every_event_the_services_write_has_words():
    written = _kinds_the_services_write()

    assert {"created", "accepted", "c2b_confirmation", "staff_match"} <= written  # the scan works
    assert written - set(EVENT_LABELS) == set()
    assert {"part_payment", "refund_flagged", "overpaid"} <= set(EVENT_LABELS)


def test_an_event_without_words_yet_reads_as_words_not_a_code_name():
    assert event_label("sms_sent_twice") == "Sms sent twice"
    assert event_label("accepted") == "Daraja accepted the prompt"


def test_the_timeline_shows_events_in_words(staff_client, daraja, pending_order):
    attempt = initiate(pending_order)
    MpesaAttemptEvent.objects.create(attempt=attempt, kind="query_error", message="timeout")

    response = staff_client.get(detail_url(attempt))

    timeline = re.search(r'id="mpesa-timeline">(.*?)</table>', page_of(response), re.S).group(1)
    whats = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>", timeline)
    assert whats == [
        "Prompt sent",
        "Daraja accepted the prompt",
        "Asking M-Pesa for the status failed",
    ]
    assert "KSh\xa01,250" in timeline  # "Prompt for KES 1250 to ..." as written


# --- Search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["wanjiku@example.com", "WANJIKU@Example.COM", "  wanjiku@example.com "]
)
def test_search_finds_a_guests_email_whatever_its_case(staff_client, make_attempt, query):
    wanted = make_attempt(guest_email="Wanjiku@example.com")
    make_attempt(guest_email="akinyi@example.com")

    assert listed(staff_client.get(LIST_URL, {"query": query})) == [wanted]


def test_search_finds_a_customer_account_email(staff_client, make_attempt):
    customer = get_user_model().objects.create_user(username="otieno", email="Otieno@Duka.example")
    wanted = make_attempt(user=customer, guest_email="")
    make_attempt(guest_email="")

    assert listed(staff_client.get(LIST_URL, {"query": "otieno@duka.example"})) == [wanted]


def test_search_finds_a_paybill_payment_by_its_orders_guest_email(
    staff_client, make_attempt, pending_order
):
    pending_order.guest_email = "Achieng@example.com"
    pending_order.save()
    wanted = paybill_row(make_attempt, order=pending_order, order_number=pending_order.number)
    paybill_row(make_attempt, receipt_number="ROTHER0001")

    assert listed(staff_client.get(LIST_URL, {"query": "achieng@EXAMPLE.com"})) == [wanted]


@pytest.mark.parametrize("query", ["NICHOLAS", "nicholas", "Nich"])
def test_search_finds_a_paybill_payer_by_name(staff_client, make_attempt, query):
    wanted = paybill_row(make_attempt, payer_name="NICHOLAS")
    paybill_row(make_attempt, payer_name="JANE", receipt_number="RJANE00001")
    make_attempt()

    assert listed(staff_client.get(LIST_URL, {"query": query})) == [wanted]


# --- Dates ------------------------------------------------------------------------------------


def test_a_from_date_after_the_to_date_is_an_error_that_says_so(staff_client, make_attempt):
    make_attempt()
    today = timezone.localdate()

    response = staff_client.get(
        LIST_URL,
        {"date_from": today.isoformat(), "date_to": (today - timedelta(days=3)).isoformat()},
    )

    assert response.context["form"].errors["date_to"] == [
        f"The To date ({today - timedelta(days=3)}) is before the From date ({today})."
    ]
    assert "is before the From date" in page_of(response)


def test_the_same_day_as_from_and_to_is_fine(staff_client, make_attempt):
    attempt = make_attempt(created_at=timezone.now())
    today = timezone.localdate().isoformat()

    response = staff_client.get(LIST_URL, {"date_from": today, "date_to": today})

    assert response.context["form"].is_valid()
    assert listed(response) == [attempt]


# --- Mark paid --------------------------------------------------------------------------------


def test_mark_paid_asks_to_confirm_the_receipt_was_checked(staff_client, daraja, pending_order):
    attempt = initiate(pending_order)
    services.attempt_settle(attempt_id=attempt.pk, outcome=failure(attempt, code="1037"))
    page = page_of(staff_client.get(detail_url(attempt)))
    assert 'name="confirmed"' in page and "I checked this receipt on the M-Pesa statement" in page

    response = staff_client.post(
        reverse("mpesa-dashboard:transaction-mark-paid", kwargs={"pk": attempt.pk}),
        {"receipt_number": "NLJ7RT61SV"},
        follow=True,
    )

    assert "to mark the order paid" in page_of(response)
    attempt.refresh_from_db()
    pending_order.refresh_from_db()
    assert attempt.receipt_number is None
    assert pending_order.status == "Pending payment"
    assert not attempt.events.filter(kind="succeeded").exists()


# --- Resolved items ---------------------------------------------------------------------------


def test_a_resolved_item_reads_resolved_not_needing_review(staff_client, staff, make_attempt):
    item = paybill_row(
        make_attempt,
        status=Status.REVIEW,
        needs_attention=True,
        attention_reason="Account number '999' matches no order",
    )
    waiting = paybill_row(
        make_attempt, status=Status.REVIEW, needs_attention=True, receipt_number="RWAIT00001"
    )
    services.staff_resolve(payment=item, actor=staff, note="Refunded from the M-Pesa portal")

    listing = staff_client.get(LIST_URL)
    detail = page_of(staff_client.get(detail_url(item)))
    status = staff_client.get(
        reverse("mpesa-dashboard:transaction-status", kwargs={"pk": item.pk})
    ).json()

    labels = {row.pk: row.status_label for row in listed(listing)}
    assert labels[item.pk] == "Money received, resolved by staff"
    assert labels[waiting.pk] == "Money received, needs staff review"
    assert re.search(r'id="mpesa-status">\s*Money received, resolved by staff\s*<', detail)
    assert "needs staff review" not in detail
    assert status["status_display"] == "Money received, resolved by staff"
