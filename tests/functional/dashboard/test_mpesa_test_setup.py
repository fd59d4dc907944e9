"""'Test M-Pesa setup': a superuser sends a small prompt and follows it live."""

import pytest
from django.urls import reverse

from apps.payment.models import MpesaPaymentAttempt
from apps.payment.mpesa import gateway, services

pytestmark = pytest.mark.django_db

SETUP_URL = reverse("mpesa-dashboard:test-setup")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_form_offers_one_shilling_by_default(admin_client):
    response = admin_client.get(SETUP_URL)
    assert response.status_code == 200
    assert response.context["form"]["amount"].value() == 1
    assert response.context["form"]["phone"].value() in (None, "")


def test_sends_a_labelled_test_prompt_and_follows_its_status(
    admin_client, superuser, daraja, pending_order
):
    response = admin_client.post(SETUP_URL, {"phone": "0712 345 678", "amount": "1"})

    attempt = MpesaPaymentAttempt.objects.get(is_test=True)
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP_URL}?attempt={attempt.pk}"
    [push] = daraja.pushes
    assert push["amount"] == 1 and push["phone"] == "254712345678"
    assert attempt.order is None
    assert attempt.events.filter(kind="test_prompt", actor=superuser).exists()
    assert pending_order.mpesa_attempts.count() == 0

    page = admin_client.get(response["Location"])
    status_url = reverse("mpesa-dashboard:transaction-status", kwargs={"pk": attempt.pk})
    assert f'data-status-url="{status_url}"' in page.content.decode()
    assert 'data-open="true"' in page.content.decode()
    assert "dashboard-mpesa-test.js" in page.content.decode()

    status = admin_client.get(status_url).json()
    assert status["status"] == "pending" and status["is_open"] is True

    services.attempt_settle(
        attempt_id=attempt.pk,
        outcome=services.SettleInput(
            success=True,
            result_code="0",
            result_desc="The service request is processed successfully.",
            receipt_number="TST1AB2CD3",
            amount_paid=attempt.amount,
            checkout_request_id=attempt.checkout_request_id,
        ),
    )
    status = admin_client.get(status_url).json()
    assert status["status"] == "succeeded"
    assert status["receipt_number"] == "TST1AB2CD3"
    assert status["is_open"] is False
    # A reload shows the same without JavaScript.
    assert "TST1AB2CD3" in admin_client.get(response["Location"]).content.decode()


def test_a_second_prompt_too_soon_is_refused_with_a_message(admin_client, daraja):
    admin_client.post(SETUP_URL, {"phone": "0712345678", "amount": "1"})
    response = admin_client.post(SETUP_URL, {"phone": "0712345678", "amount": "1"})

    assert response.status_code == 200
    assert "One test prompt per" in response.content.decode()
    assert len(daraja.pushes) == 1


def test_a_refused_push_is_shown_and_logged_as_a_test(admin_client, daraja):
    daraja.push_error = gateway.DarajaAuthError("Wrong credentials")

    response = admin_client.post(SETUP_URL, {"phone": "0712345678", "amount": "1"})

    assert response.status_code == 200
    assert "unavailable" in response.content.decode()
    attempt = MpesaPaymentAttempt.objects.get()
    assert attempt.is_test and attempt.status == MpesaPaymentAttempt.Status.REFUSED


@pytest.mark.parametrize(
    "data",
    [
        {"phone": "12345", "amount": "1"},
        {"phone": "0712345678", "amount": "0"},
        {"phone": "0712345678", "amount": "5000"},
    ],
)
def test_bad_phone_or_amount_sends_nothing(admin_client, daraja, data):
    response = admin_client.post(SETUP_URL, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert daraja.pushes == []
