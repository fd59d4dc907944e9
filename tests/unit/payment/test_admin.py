"""The M-Pesa log in Django's admin: read-only for everyone, searchable, secrets hidden."""

import html
import json
import secrets
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oscar.test.factories import create_order

from apps.payment.admin import MpesaCallbackAdmin, MpesaPaymentAttemptAdmin, OrderEmailAdmin
from apps.payment.models import MpesaAttemptEvent, MpesaCallback, MpesaPaymentAttempt, OrderEmail

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/payment/mpesapaymentattempt/"
CALLBACKS = "/admin/payment/mpesacallback/"


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser(
        username="root", email="root@duka.example", password="pw"
    )


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def make_attempt(n: int = 1, **fields) -> MpesaPaymentAttempt:
    values = {
        "order_number": f"1009{n:02d}",
        "callback_token": secrets.token_urlsafe(32),
        "phone": "254712345678",
        "amount": Decimal("1250"),
        "status": MpesaPaymentAttempt.Status.SUCCEEDED,
        "amount_paid": Decimal("1250"),
        "receipt_number": f"QADM{n:06d}",
        "checkout_request_id": f"ws_CO_ADMIN{n:04d}",
        "merchant_request_id": f"mr-admin-{n}",
        "guest_email": "njeri@example.com",
    }
    values.update(fields)
    return MpesaPaymentAttempt.objects.create(**values)


@pytest.mark.parametrize(
    "model_admin_class, model",
    [
        (MpesaPaymentAttemptAdmin, MpesaPaymentAttempt),
        (MpesaCallbackAdmin, MpesaCallback),
        (OrderEmailAdmin, OrderEmail),
    ],
)
def test_nobody_can_add_change_or_delete_money_records_not_even_a_superuser(
    superuser, model_admin_class, model
):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, model_admin_class)
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_delete_permission(request) is False
    assert model_admin.has_view_permission(request) is True
    for inline in model_admin.get_inline_instances(request):
        assert not inline.has_add_permission(request, None)
        assert not inline.has_change_permission(request)
        assert not inline.has_delete_permission(request)


def test_oscar_payment_registrations_are_kept():
    from oscar.core.loading import get_model

    assert get_model("payment", "Source") in admin.site._registry
    assert get_model("payment", "Transaction") in admin.site._registry


def test_changelist_masks_phones_and_offers_the_filters(admin_client):
    make_attempt()

    response = admin_client.get(CHANGELIST)

    page = response.content.decode()
    assert response.status_code == 200
    assert "2547****5678" in page
    assert "254712345678" not in page
    for parameter in (
        "status__exact",
        "channel__exact",
        "is_test__exact",
        "needs_attention__exact",
    ):
        assert parameter in page
    assert "created_at__gte" in page
    assert "Add M-Pesa transaction" not in page


@pytest.mark.parametrize(
    "term",
    ["QADM000002", "254799000111", "100902", "ws_CO_ADMIN0002", "mr-admin-2", "ACC-77"],
)
def test_changelist_searches_receipt_phone_order_and_request_ids(admin_client, term):
    make_attempt(1)
    wanted = make_attempt(2, phone="254799000111", bill_ref_number="ACC-77")

    response = admin_client.get(CHANGELIST, {"q": term})

    assert list(response.context["cl"].result_list) == [wanted]


def test_changelist_filters_by_status_and_channel(admin_client):
    make_attempt(1)
    failed = make_attempt(2, status="failed", receipt_number=None)
    response = admin_client.get(CHANGELIST, {"status__exact": "failed"})
    assert list(response.context["cl"].result_list) == [failed]
    response = admin_client.get(CHANGELIST, {"channel__exact": "paybill"})
    assert list(response.context["cl"].result_list) == []


def test_changelist_queries_do_not_grow_with_the_rows(admin_client):
    customer = get_user_model().objects.create_user(username="c", email="c@example.com")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(CHANGELIST).status_code == 200
        return len(captured)

    for n in range(1, 6):
        make_attempt(n, user=customer)
    admin_client.get(CHANGELIST)
    few = count_queries()
    for n in range(6, 40):
        make_attempt(n, user=customer)
    assert count_queries() == few


def test_detail_view_is_read_only_with_pretty_redacted_bodies_timeline_and_callbacks(
    admin_client, superuser
):
    attempt = make_attempt(
        request_body={"BusinessShortCode": "174379", "Password": "bXktcGFzc2tleQ=="},
        response_body={"ResponseCode": "0", "CheckoutRequestID": "ws_CO_ADMIN0001"},
    )
    MpesaAttemptEvent.objects.create(
        attempt=attempt, kind="staff_check", message="Asked M-Pesa", actor=superuser
    )
    MpesaCallback.objects.create(
        attempt=attempt,
        token=attempt.callback_token,
        body=json.dumps({"Body": {"stkCallback": {"ResultCode": 0, "MpesaReceiptNumber": "X"}}}),
    )

    response = admin_client.get(f"{CHANGELIST}{attempt.pk}/change/")

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert '<input type="submit"' not in page  # no save buttons
    assert 'name="receipt_number"' not in page  # no editable field
    assert '"BusinessShortCode": "174379"' in page
    assert "bXktcGFzc2tleQ==" not in page
    assert '"Password": "***"' in page
    assert '"ResponseCode": "0"' in page
    assert "Asked M-Pesa" in page and "root" in page
    assert '"MpesaReceiptNumber": "X"' in page
    assert attempt.callback_token not in page
    for value in ("QADM000001", "ws_CO_ADMIN0001", "mr-admin-1", "njeri@example.com"):
        assert value in page


def test_posting_to_the_change_view_changes_nothing(admin_client):
    attempt = make_attempt()
    response = admin_client.post(
        f"{CHANGELIST}{attempt.pk}/change/", {"status": "failed", "receipt_number": ""}
    )
    assert response.status_code == 403
    attempt.refresh_from_db()
    assert attempt.status == "succeeded" and attempt.receipt_number == "QADM000001"
    assert (
        admin_client.post(f"{CHANGELIST}{attempt.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert MpesaPaymentAttempt.objects.filter(pk=attempt.pk).exists()


def test_callback_changelist_and_detail_show_the_body_pretty_without_the_token(admin_client):
    attempt = make_attempt()
    callback = MpesaCallback.objects.create(
        attempt=attempt,
        token=attempt.callback_token,
        body='{"Body": {"stkCallback": {"ResultCode": 1032}}}',
        outcome=MpesaCallback.Outcome.APPLIED,
    )

    listing = admin_client.get(CALLBACKS)
    assert listing.status_code == 200
    assert attempt.order_number in listing.content.decode()

    page = html.unescape(admin_client.get(f"{CALLBACKS}{callback.pk}/change/").content.decode())
    assert '"ResultCode": 1032' in page
    assert attempt.callback_token not in page


def test_staff_without_view_permission_do_not_see_the_log(client):
    staff = get_user_model().objects.create_user(
        username="clerk", email="clerk@duka.example", password="pw", is_staff=True
    )
    make_attempt()
    client.force_login(staff)
    assert client.get(CHANGELIST).status_code == 403


def test_the_order_email_outbox_shows_what_was_sent_and_why_not(admin_client):
    order = create_order(number="100950", guest_email="njeri@example.com")
    OrderEmail.objects.create(
        order=order,
        kind=OrderEmail.Kind.CONFIRMATION,
        attempts=2,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )

    listing = admin_client.get("/admin/payment/orderemail/")

    page = listing.content.decode()
    assert listing.status_code == 200
    assert "100950" in page and "SMTPServerDisconnected" in page
    assert "Add order email" not in page


def test_the_log_reads_as_the_dashboard_does_amounts_phones_status_and_events(admin_client):
    """KSh amounts, phones masked alike for STK and Paybill, statuses and timeline events
    in words (apps.payment.mpesa.display), in the list and on a transaction's page."""
    stk = make_attempt(1, amount=Decimal("3150"), amount_paid=Decimal("3150"))
    paybill = make_attempt(
        2,
        channel="paybill",
        checkout_request_id=None,
        phone="2547 ***** 126",
        status="review",
        needs_attention=False,
        resolved_at=timezone.now(),
        attention_reason="Paid KES 1000, prompted for KES 1250",
    )
    MpesaAttemptEvent.objects.create(
        attempt=stk, kind="created", message="Prompt for KES 3150 to 2547****5678"
    )

    listing = html.unescape(admin_client.get(CHANGELIST).content.decode())
    stk_page = html.unescape(admin_client.get(f"{CHANGELIST}{stk.pk}/change/").content.decode())
    paybill_page = html.unescape(
        admin_client.get(f"{CHANGELIST}{paybill.pk}/change/").content.decode()
    )

    assert "KSh\xa03,150" in listing and "3150.00" not in listing
    assert "2547****5678" in listing and "2547*****126" in listing
    assert "Money received, resolved by staff" in listing
    assert "Prompt sent" in stk_page and "Prompt for KSh\xa03,150 to 2547****5678" in stk_page
    assert "254712345678" not in stk_page
    assert "2547*****126" in paybill_page and "2547 ***** 126" not in paybill_page
    assert "Paid KSh\xa01,000, prompted for KSh\xa01,250" in paybill_page


@pytest.mark.parametrize("term", ["NICHOLAS", "wanjiku@example.com"])
def test_changelist_searches_payer_name_and_email(admin_client, term):
    make_attempt(1)
    wanted = make_attempt(2, payer_name="NICHOLAS", guest_email="wanjiku@example.com")

    response = admin_client.get(CHANGELIST, {"q": term})

    assert list(response.context["cl"].result_list) == [wanted]
