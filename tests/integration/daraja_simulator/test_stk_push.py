"""Each test number's outcome, the virtual phone and STK Query, client to simulator over HTTP."""

import re
import time

import pytest

from apps.daraja_simulator.models import AccessToken, StkPush
from apps.payment.mpesa.gateway import DarajaBusy, DarajaRejected

from .conftest import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CALLBACK_PATH = "/payments/stk/callback/0123456789abcdef/"


def push(daraja, receiver, phone, amount=10, reference="100042"):
    return daraja.stk_push(
        phone=phone,
        amount=amount,
        account_reference=reference,
        description=f"Order {reference}",
        callback_url=receiver.url(CALLBACK_PATH),
    )


def items(callback: dict) -> dict:
    metadata = callback["Body"]["stkCallback"]["CallbackMetadata"]["Item"]
    return {item["Name"]: item.get("Value", "<no value>") for item in metadata}


def test_success_number_sends_a_success_callback_with_daraja_shape(daraja, callback_receiver):
    accepted = push(daraja, callback_receiver, "0708374149", amount=1499)
    assert accepted.response_code == "0"
    assert accepted.checkout_request_id.startswith("ws_CO_")

    (received,) = callback_receiver.wait_for(CALLBACK_PATH)
    assert received.headers["Content-Type"] == "application/json;charset=UTF-8"
    stk = received.json["Body"]["stkCallback"]
    assert stk["CheckoutRequestID"] == accepted.checkout_request_id
    assert stk["MerchantRequestID"] == accepted.merchant_request_id
    assert stk["ResultCode"] == 0
    assert stk["ResultDesc"] == "The service request is processed successfully."
    values = items(received.json)
    assert values["Amount"] == 1499
    assert '"Value": 1499.00' in received.text, "Amount is written as 1499.00, as Safaricom does"
    assert values["Balance"] == "<no value>"
    assert re.fullmatch(r"[A-Z0-9]{10}", values["MpesaReceiptNumber"])
    assert re.fullmatch(r"20\d{12}", str(values["TransactionDate"]))
    assert values["PhoneNumber"] == 254708374149

    query = daraja.stk_query(checkout_request_id=accepted.checkout_request_id)
    assert query.state == "success"
    assert query.result_code == "0"


@pytest.mark.parametrize(
    ("phone", "code", "callback_desc"),
    [
        ("254700000001", 1, "The balance is insufficient for the transaction."),
        ("254700001032", 1032, "Request cancelled by user"),
        ("254700001037", 1037, "DS timeout user cannot be reached"),
        ("254700002001", 2001, "The initiator information is invalid."),
    ],
)
def test_failure_numbers_send_a_failure_callback_and_query_agrees(
    daraja, callback_receiver, phone, code, callback_desc
):
    accepted = push(daraja, callback_receiver, phone)
    (received,) = callback_receiver.wait_for(CALLBACK_PATH)
    stk = received.json["Body"]["stkCallback"]
    assert stk["ResultCode"] == code
    assert stk["ResultDesc"] == callback_desc
    assert "CallbackMetadata" not in stk

    query = daraja.stk_query(checkout_request_id=accepted.checkout_request_id)
    assert query.state == "failed"
    assert query.result_code == str(code)


def test_duplicate_number_delivers_the_same_callback_twice(daraja, callback_receiver):
    accepted = push(daraja, callback_receiver, "254700000202")
    first, second = callback_receiver.wait_for(CALLBACK_PATH, count=2)
    assert first.text == second.text
    assert first.json["Body"]["stkCallback"]["CheckoutRequestID"] == accepted.checkout_request_id
    assert first.json["Body"]["stkCallback"]["ResultCode"] == 0


def test_lost_callback_number_never_calls_back_but_query_tells_success(
    daraja, callback_receiver, sim_state
):
    accepted = push(daraja, callback_receiver, "254700000404")
    wait_until(lambda: sim_state()[accepted.checkout_request_id]["state"] == "succeeded")
    time.sleep(0.5)
    assert callback_receiver.received == []
    query = daraja.stk_query(checkout_request_id=accepted.checkout_request_id)
    assert query.state == "success"


def test_busy_number_refuses_the_push_itself(daraja, callback_receiver):
    with pytest.raises(DarajaBusy) as excinfo:
        push(daraja, callback_receiver, "254700000500")
    assert excinfo.value.http_status == 500
    assert excinfo.value.error_code == "500.003.02"
    assert not StkPush.objects.exists()


def test_query_is_pending_until_the_callback_time_then_final(daraja, callback_receiver, settings):
    settings.DARAJA_SIMULATOR_CALLBACK_DELAY = 1.5
    accepted = push(daraja, callback_receiver, "254708374149")
    pending = daraja.stk_query(checkout_request_id=accepted.checkout_request_id)
    assert pending.state == "pending"
    assert pending.result_code is None
    assert pending.raw["errorMessage"] == "The transaction is being processed"
    assert callback_receiver.received == []

    callback_receiver.wait_for(CALLBACK_PATH)
    final = daraja.stk_query(checkout_request_id=accepted.checkout_request_id)
    assert final.state == "success"


def test_query_of_an_unknown_checkout_request_id_is_refused(daraja):
    with pytest.raises(DarajaRejected) as excinfo:
        daraja.stk_query(checkout_request_id="ws_CO_000000000000000000")
    assert excinfo.value.error_code == "500.001.1001"
    assert excinfo.value.error_message == "The transaction does not Exist"


def test_invalid_token_makes_the_client_refresh_and_retry_once(daraja, callback_receiver):
    push(daraja, callback_receiver, "254708374149")
    AccessToken.objects.all().delete()  # the simulator forgets the token the shop cached
    accepted = push(daraja, callback_receiver, "254708374149", reference="100043")
    assert accepted.checkout_request_id
    assert AccessToken.objects.count() == 1


def test_simulator_lists_received_pushes_as_json(daraja, callback_receiver, sim_state):
    accepted = push(daraja, callback_receiver, "254708374149", amount=250)
    callback_receiver.wait_for(CALLBACK_PATH)
    entry = wait_until(
        lambda: (pushed := sim_state()[accepted.checkout_request_id])["callbacks"] and pushed
    )
    assert entry["phone"] == "254708374149"
    assert entry["amount"] == 250
    assert entry["CallBackURL"] == callback_receiver.url(CALLBACK_PATH)
    assert entry["state"] == "succeeded"
    assert entry["result_code"] == 0
    assert entry["callbacks"][0]["status_code"] == 200


# --- The virtual phone ----------------------------------------------------------------------


def open_prompt_page(client):
    response = client.get("/daraja-sim/phone/")
    assert response.status_code == 200
    return response.content.decode()


def test_other_numbers_wait_on_the_virtual_phone_until_a_pin_pays(
    daraja, callback_receiver, client
):
    accepted = push(daraja, callback_receiver, "0712 345 678", amount=2500)
    assert daraja.stk_query(checkout_request_id=accepted.checkout_request_id).state == "pending"
    page = open_prompt_page(client)
    assert "KSh 2500" in page
    assert accepted.checkout_request_id in page
    assert callback_receiver.received == []

    response = client.post(f"/daraja-sim/phone/{accepted.checkout_request_id}/", {"pin": "4321"})
    assert response.status_code == 302

    (received,) = callback_receiver.wait_for(CALLBACK_PATH)
    assert received.json["Body"]["stkCallback"]["ResultCode"] == 0
    assert items(received.json)["PhoneNumber"] == 254712345678
    assert daraja.stk_query(checkout_request_id=accepted.checkout_request_id).state == "success"
    assert accepted.checkout_request_id not in open_prompt_page(client).split("Recent")[0]


def test_declining_on_the_virtual_phone_sends_1032(daraja, callback_receiver, client):
    accepted = push(daraja, callback_receiver, "0110123456")
    client.post(f"/daraja-sim/phone/{accepted.checkout_request_id}/", {"decline": "1"})
    (received,) = callback_receiver.wait_for(CALLBACK_PATH)
    assert received.json["Body"]["stkCallback"]["ResultCode"] == 1032
    query = daraja.stk_query(checkout_request_id=accepted.checkout_request_id)
    assert (query.state, query.result_code) == ("failed", "1032")


def test_a_pin_that_is_not_four_digits_leaves_the_prompt_open(daraja, callback_receiver, client):
    accepted = push(daraja, callback_receiver, "0712345678")
    response = client.post(
        f"/daraja-sim/phone/{accepted.checkout_request_id}/", {"pin": "12a"}, follow=True
    )
    assert "4-digit" in response.content.decode()
    assert daraja.stk_query(checkout_request_id=accepted.checkout_request_id).state == "pending"


def test_virtual_phone_forms_are_csrf_protected(daraja, callback_receiver):
    from django.test import Client

    accepted = push(daraja, callback_receiver, "0712345678")
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/daraja-sim/phone/{accepted.checkout_request_id}/", {"pin": "1234"})
    assert response.status_code == 403


def test_unanswered_prompt_ends_as_1037_with_one_callback(
    daraja, callback_receiver, settings, client, sim_state
):
    settings.DARAJA_SIMULATOR_PROMPT_TIMEOUT = 0.5
    accepted = push(daraja, callback_receiver, "0712345678")
    time.sleep(0.7)
    # The timer, the query, the list and the phone page all notice; one callback goes out.
    query = daraja.stk_query(checkout_request_id=accepted.checkout_request_id)
    sim_state()
    open_prompt_page(client)
    assert (query.state, query.result_code) == ("failed", "1037")
    (received,) = callback_receiver.wait_for(CALLBACK_PATH)
    assert received.json["Body"]["stkCallback"]["ResultCode"] == 1037
    time.sleep(0.5)
    assert len(callback_receiver.to(CALLBACK_PATH)) == 1


def test_a_second_push_while_a_prompt_is_open_cannot_lock_the_subscriber(daraja, callback_receiver):
    push(daraja, callback_receiver, "0712345678")
    with pytest.raises(DarajaRejected) as excinfo:
        push(daraja, callback_receiver, "0712345678", reference="100043")
    assert excinfo.value.error_code == "500.001.1001"
    assert "Unable to lock subscriber" in excinfo.value.error_message
