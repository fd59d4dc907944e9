"""The simulator refuses what Daraja refuses, with Daraja's error body and HTTP status."""

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from django.conf import settings as django_settings

from apps.daraja_simulator.models import StkPush
from apps.payment.mpesa.gateway import DarajaClient, DarajaRejected

from .conftest import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PUSH = "/mpesa/stkpush/v1/processrequest"
QUERY = "/mpesa/stkpushquery/v1/query"


def timestamp() -> str:
    return datetime.now(ZoneInfo("Africa/Nairobi")).strftime("%Y%m%d%H%M%S")


def push_body(**overrides) -> dict:
    stamp = timestamp()
    shortcode = django_settings.MPESA_SHORTCODE
    body = {
        "BusinessShortCode": shortcode,
        "Password": base64.b64encode(
            f"{shortcode}{django_settings.MPESA_PASSKEY}{stamp}".encode()
        ).decode(),
        "Timestamp": stamp,
        "TransactionType": "CustomerPayBillOnline",
        "Amount": 1,
        "PartyA": "254708374149",
        "PartyB": shortcode,
        "PhoneNumber": "254708374149",
        # Loopback only: the discard port refuses the callback of an accepted push at once.
        "CallBackURL": "http://127.0.0.1:9/payments/stk/callback/abc123/",
        "AccountReference": "100042",
        "TransactionDesc": "Order 100042",
    }
    body.update(overrides)
    return body


@pytest.fixture
def token(simulator) -> str:
    answer = requests.get(
        f"{simulator}/oauth/v1/generate",
        params={"grant_type": "client_credentials"},
        auth=(django_settings.MPESA_CONSUMER_KEY, django_settings.MPESA_CONSUMER_SECRET),
        timeout=5,
    )
    assert answer.status_code == 200
    assert answer.json()["expires_in"] == "3599"
    return answer.json()["access_token"]


@pytest.fixture
def post(simulator, token):
    def send(path: str, body: dict, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"}
        headers.update(kwargs.pop("headers", {}))
        return requests.post(f"{simulator}{path}", json=body, headers=headers, timeout=5, **kwargs)

    return send


def assert_daraja_error(response, status: int, code: str, message: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"requestId", "errorCode", "errorMessage"}
    assert body["requestId"]
    assert (body["errorCode"], body["errorMessage"]) == (code, message)


def test_a_well_formed_push_is_accepted(post):
    response = post(PUSH, push_body())
    assert response.status_code == 200
    assert response.json()["ResponseCode"] == "0"


def test_wrong_password_is_wrong_credentials(post, caplog):
    response = post(PUSH, push_body(Password=base64.b64encode(b"174379wrong").decode()))
    assert_daraja_error(response, 500, "500.001.1001", "Wrong credentials")
    assert not [r for r in caplog.records if r.name == "django.request"], (
        "Daraja's own 500 answers are not logged as crashes of the shop"
    )


def test_password_from_another_timestamp_is_wrong_credentials(post):
    body = push_body()
    body["Timestamp"] = str(int(body["Timestamp"]) - 1)
    assert_daraja_error(post(PUSH, body), 500, "500.001.1001", "Wrong credentials")


def test_a_wrong_passkey_in_the_shop_fails_as_at_safaricom(
    simulator, simulator_credentials, settings
):
    settings.MPESA_PASSKEY = "not-the-passkey"
    with DarajaClient.from_settings() as client, pytest.raises(DarajaRejected) as excinfo:
        client.stk_push(
            phone="0708374149",
            amount=1,
            account_reference="100042",
            description="Order 100042",
            callback_url="http://127.0.0.1:9/payments/stk/callback/abc/",
        )
    assert (excinfo.value.error_code, excinfo.value.error_message) == (
        "500.001.1001",
        "Wrong credentials",
    )


# One test per rule, looping over its cases: each live-server test costs a database flush.


def test_float_fractional_or_out_of_range_amount_is_refused(post):
    for amount in (1.5, 10.0, "10.50", 0, 250_001, -1, None, True):
        response = post(PUSH, push_body(Amount=amount))
        assert_daraja_error(response, 400, "400.002.02", "Bad Request - Invalid Amount")


def test_bad_phone_is_refused(post):
    for field, value in [
        ("PhoneNumber", "0708374149"),
        ("PhoneNumber", "25470837414"),
        ("PhoneNumber", "255708374149"),
        ("PartyA", "+254708374149"),
        # Digits of other scripts are digits to Python, not to Daraja.
        ("PhoneNumber", "25470837414\u0669"),
        ("PhoneNumber", "\uff12\uff15\uff14708374149"),
        ("PartyA", "254708374149\n"),
    ]:
        response = post(PUSH, push_body(**{field: value}))
        assert_daraja_error(response, 400, "400.002.02", f"Bad Request - Invalid {field}")


def test_thirteen_character_account_reference_is_refused(post):
    response = post(PUSH, push_body(AccountReference="ORDER10004212"))
    assert_daraja_error(response, 400, "400.002.02", "Bad Request - Invalid AccountReference")


def test_fourteen_character_description_is_refused(post):
    response = post(PUSH, push_body(TransactionDesc="Order 10004212"))
    assert_daraja_error(response, 400, "400.002.02", "Bad Request - Invalid TransactionDesc")


def test_callback_url_safaricom_rejects_is_refused(post):
    for url in (
        "http://127.0.0.1:9/mpesa/callback/",
        "http://127.0.0.1:9/cb/?query=1",
        "/payments/stk/callback/abc/",
    ):
        response = post(PUSH, push_body(CallBackURL=url))
        assert_daraja_error(response, 400, "400.002.02", "Bad Request - Invalid CallBackURL")


def test_unknown_transaction_type_is_refused(post):
    response = post(PUSH, push_body(TransactionType="PayBill"))
    assert_daraja_error(response, 400, "400.002.02", "Bad Request - Invalid TransactionType")


def test_another_shortcode_is_an_unknown_merchant(post):
    response = post(PUSH, push_body(BusinessShortCode="600000"))
    assert_daraja_error(response, 500, "500.001.1001", "Merchant does not exist")


def test_missing_content_type_blames_the_shortcode_as_daraja_does(simulator, token):
    import json

    response = requests.post(
        f"{simulator}{PUSH}",
        data=json.dumps(push_body()),
        headers={"Authorization": f"Bearer {token}", "Content-Type": ""},
        timeout=5,
    )
    assert_daraja_error(response, 400, "400.002.02", "Bad Request - Invalid BusinessShortCode")


def test_invalid_or_missing_token_is_404_001_03(simulator):
    for authorization in ("Bearer not-a-token", "", "Basic abc"):
        response = requests.post(
            f"{simulator}{PUSH}",
            json=push_body(),
            headers={"Authorization": authorization},
            timeout=5,
        )
        assert_daraja_error(response, 404, "404.001.03", "Invalid Access Token")
    assert not StkPush.objects.exists()


def test_wrong_consumer_secret_is_refused_with_400(simulator, settings):
    response = requests.get(
        f"{simulator}/oauth/v1/generate",
        params={"grant_type": "client_credentials"},
        auth=(settings.MPESA_CONSUMER_KEY, "wrong-secret"),
        timeout=5,
    )
    assert_daraja_error(response, 400, "400.008.01", "Invalid Authentication passed")


def test_wrong_grant_type_is_refused(simulator, settings):
    response = requests.get(
        f"{simulator}/oauth/v1/generate",
        params={"grant_type": "password"},
        auth=(settings.MPESA_CONSUMER_KEY, settings.MPESA_CONSUMER_SECRET),
        timeout=5,
    )
    assert_daraja_error(response, 400, "400.008.02", "Invalid grant type passed")


def test_query_needs_the_same_password_rules(post):
    body = push_body()
    query = {k: body[k] for k in ("BusinessShortCode", "Password", "Timestamp")}
    query["CheckoutRequestID"] = "ws_CO_0"
    assert_daraja_error(
        post(QUERY, {**query, "Password": "bad"}), 500, "500.001.1001", "Wrong credentials"
    )
    assert_daraja_error(post(QUERY, query), 500, "500.001.1001", "The transaction does not Exist")


def test_paybill_push_to_another_party_b_fails_in_the_callback(post, sim_state, callback_receiver):
    accepted = post(
        PUSH, push_body(PartyB="999999", CallBackURL=callback_receiver.url("/cb/0a1b/"))
    )
    assert accepted.status_code == 200
    checkout_request_id = accepted.json()["CheckoutRequestID"]
    entry = wait_until(
        lambda: (pushed := sim_state()[checkout_request_id])["state"] != "pending" and pushed
    )
    assert entry["result_code"] == 2028
    (received,) = callback_receiver.wait_for("/cb/0a1b/")
    assert received.json["Body"]["stkCallback"]["ResultCode"] == 2028
