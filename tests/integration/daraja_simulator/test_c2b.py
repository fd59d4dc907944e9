"""C2B URL registration and simulated Paybill payments, client to simulator over HTTP."""

import io

import pytest
import requests
from django.core.management import CommandError, call_command

from .conftest import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

VALIDATION = "/payments/c2b/s3cret/validation/"
CONFIRMATION = "/payments/c2b/s3cret/confirmation/"


@pytest.fixture
def registered(daraja, callback_receiver):
    def register(response_type: str = "Completed", validation_url: str | None = None):
        return daraja.register_c2b_urls(
            confirmation_url=callback_receiver.url(CONFIRMATION),
            validation_url=validation_url or callback_receiver.url(VALIDATION),
            response_type=response_type,
        )

    return register


def c2b_state(simulator) -> dict:
    return requests.get(f"{simulator}/daraja-sim/c2b/", timeout=5).json()


def test_register_then_simulate_sends_validation_then_confirmation(
    daraja, registered, callback_receiver, simulator, settings
):
    result = registered()
    assert (result.response_code, result.response_description) == ("0", "Success")
    assert "OriginatorCoversationID" in result.raw

    answer = daraja.c2b_simulate(amount=1250, msisdn="0708374149", bill_ref_number="100042")
    assert answer["ResponseCode"] == "0"

    (confirmation,) = callback_receiver.wait_for(CONFIRMATION)
    (validation,) = callback_receiver.to(VALIDATION)
    assert callback_receiver.received.index(validation) < callback_receiver.received.index(
        confirmation
    )
    body = confirmation.json
    assert body == validation.json
    assert body["TransactionType"] == "Pay Bill"
    assert body["TransAmount"] == "1250.00"
    assert body["BusinessShortCode"] == settings.MPESA_SHORTCODE
    assert body["BillRefNumber"] == "100042"
    assert body["MSISDN"] == "2547 ***** 149"
    assert all(isinstance(value, str) for value in body.values()), "C2B values are strings"
    assert len(body["TransID"]) == 10
    assert len(body["TransTime"]) == 14

    payments = wait_until(
        lambda: (p := c2b_state(simulator)["payments"]) and p[0]["state"] == "confirmed" and p
    )
    assert payments[0]["TransID"] == body["TransID"]


def test_validation_rejection_stops_the_payment(daraja, registered, callback_receiver, simulator):
    callback_receiver.answers[VALIDATION] = {"ResultCode": "C2B00012", "ResultDesc": "Rejected"}
    registered()
    daraja.c2b_simulate(amount=10, msisdn="254708374149", bill_ref_number="typo 42")
    callback_receiver.wait_for(VALIDATION)
    payments = wait_until(
        lambda: (p := c2b_state(simulator)["payments"]) and p[0]["state"] == "rejected" and p
    )
    assert payments[0]["note"] == "ResultCode C2B00012"
    assert callback_receiver.to(CONFIRMATION) == []


@pytest.mark.parametrize(("response_type", "confirmed"), [("Completed", 1), ("Cancelled", 0)])
def test_unreachable_validation_follows_the_registered_response_type(
    daraja, registered, callback_receiver, simulator, response_type, confirmed
):
    registered(response_type, validation_url="http://127.0.0.1:9/payments/c2b/s3cret/validation/")
    daraja.c2b_simulate(amount=10, msisdn="254708374149", bill_ref_number="100042")
    wait_until(lambda: c2b_state(simulator)["payments"][0]["state"] != "sent")
    assert len(callback_receiver.to(CONFIRMATION)) == confirmed


def test_register_refuses_a_response_type_daraja_refuses(simulator, daraja):
    token = daraja.get_access_token()
    response = requests.post(
        f"{simulator}/mpesa/c2b/v2/registerurl",
        json={
            "ShortCode": daraja.shortcode,
            "ResponseType": "completed",
            "ConfirmationURL": "http://127.0.0.1:9/c/",
            "ValidationURL": "http://127.0.0.1:9/v/",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["errorMessage"] == "Bad Request - Invalid ResponseType"


def test_register_command_registers_the_shops_c2b_urls(simulator, settings):
    settings.MPESA_CALLBACK_BASE_URL = "http://127.0.0.1:8101"
    settings.MPESA_C2B_PATH_SECRET = "0f0f0f"
    out = io.StringIO()
    call_command("mpesa_register_c2b", stdout=out)
    (registration,) = c2b_state(simulator)["registrations"]
    assert registration["ConfirmationURL"].startswith("http://127.0.0.1:8101/")
    assert "0f0f0f" in registration["ConfirmationURL"]
    assert "0f0f0f" in registration["ValidationURL"]
    assert registration["ResponseType"] == "Completed"
    assert "Registered C2B URLs" in out.getvalue()


def test_register_command_reports_daraja_refusal(simulator, simulator_credentials, settings):
    settings.MPESA_CONSUMER_SECRET = "wrong"
    with pytest.raises(CommandError, match="Invalid Authentication passed"):
        call_command("mpesa_register_c2b", stdout=io.StringIO())


def test_check_credentials_command_fetches_a_token(simulator):
    out = io.StringIO()
    call_command("mpesa_check_credentials", stdout=out)
    assert "OK: Daraja issued an access token" in out.getvalue()
    assert "simulator-consumer-secret" not in out.getvalue()


def test_check_credentials_command_fails_on_wrong_key(simulator, simulator_credentials, settings):
    settings.MPESA_CONSUMER_KEY = "someone-elses-key"
    with pytest.raises(CommandError, match="refused the credentials"):
        call_command("mpesa_check_credentials", stdout=io.StringIO())
