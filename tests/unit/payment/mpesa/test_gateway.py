import base64
import logging
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from django.core.cache import cache
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from apps.payment.mpesa import gateway
from apps.payment.mpesa.gateway import (
    DarajaAuthError,
    DarajaBusy,
    DarajaClient,
    DarajaConnectionError,
    DarajaInvalidResponse,
    DarajaRejected,
    DarajaTimeout,
    StkQueryState,
)
from apps.payment.mpesa.phone import InvalidPhoneNumber
from apps.payment.mpesa.rules import InvalidAmount, InvalidCallbackUrl, InvalidReference

from . import recorded
from .fakes import FakeDaraja

OAUTH = "/oauth/v1/generate"
PUSH = "/mpesa/stkpush/v1/processrequest"
QUERY = "/mpesa/stkpushquery/v1/query"
REGISTER = "/mpesa/c2b/v2/registerurl"
SIMULATE = "/mpesa/c2b/v2/simulate"

SHORTCODE = "174379"
PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
SECRET = "consumer-secret-never-logged"
CALLBACK = "https://shop.example.co.ke/payments/stk/callback/9f86d081884c7d65/"
# 06:24:08 UTC is 09:24:08 in Nairobi.
FIXED_NOW = datetime(2024, 6, 28, 6, 24, 8, tzinfo=UTC)


def make_client(fake: FakeDaraja, **overrides) -> DarajaClient:
    options = {
        "base_url": "https://sandbox.safaricom.co.ke/",
        "consumer_key": "consumer-key",
        "consumer_secret": SECRET,
        "shortcode": SHORTCODE,
        "passkey": PASSKEY,
        "connect_timeout": 3.0,
        "read_timeout": 20.0,
        "session": fake,
        "clock": lambda: FIXED_NOW,
    }
    options.update(overrides)
    return DarajaClient(**options)


def push(client: DarajaClient, **overrides):
    arguments = {
        "phone": "0708 374 149",
        "amount": Decimal("1499.00"),
        "account_reference": "100042",
        "description": "Order 100042",
        "callback_url": CALLBACK,
    }
    arguments.update(overrides)
    return client.stk_push(**arguments)


@pytest.fixture
def daraja() -> FakeDaraja:
    return FakeDaraja().on(OAUTH, (200, recorded.TOKEN))


# --- OAuth token ----------------------------------------------------------------------------


def test_hundred_pushes_fetch_one_token(daraja):
    daraja.on(PUSH, (200, recorded.STK_ACCEPTED))
    client = make_client(daraja)
    for _ in range(100):
        push(client)
    assert len(daraja.to(OAUTH)) == 1
    assert len(daraja.to(PUSH)) == 100
    assert {r.headers["Authorization"] for r in daraja.to(PUSH)} == {
        "Bearer c9SQxWWhmdVRlyh0zh8gZDTkubVF"
    }


def test_token_is_shared_by_clients_in_other_workers_through_the_cache(daraja):
    daraja.on(PUSH, (200, recorded.STK_ACCEPTED))
    push(make_client(daraja))
    push(make_client(daraja))
    assert len(daraja.to(OAUTH)) == 1


def test_token_request_uses_basic_auth_and_client_credentials(daraja):
    token = make_client(daraja).get_access_token()
    (request,) = daraja.to(OAUTH)
    assert token == "c9SQxWWhmdVRlyh0zh8gZDTkubVF"
    assert request.method == "GET"
    assert request.params == {"grant_type": "client_credentials"}
    assert request.auth == ("consumer-key", SECRET)
    assert request.timeout == (3.0, 20.0)


@pytest.mark.parametrize("answer", [recorded.TOKEN, recorded.TOKEN_NUMERIC_EXPIRY])
def test_token_is_cached_until_a_few_minutes_before_it_expires(daraja, answer, monkeypatch):
    daraja.on(OAUTH, (200, answer))
    stored = {}
    real_set = cache.set

    def spy(key, value, timeout=None, **kwargs):
        stored[key] = timeout
        return real_set(key, value, timeout, **kwargs)

    monkeypatch.setattr(cache, "set", spy)
    make_client(daraja).get_access_token()
    assert list(stored.values()) == [3599 - 300]


def test_workers_asking_at_once_share_one_token_request(daraja):
    def slow_token():
        time.sleep(0.3)
        return (200, recorded.TOKEN)

    daraja.on(OAUTH, slow_token)
    tokens = []
    workers = [
        threading.Thread(target=lambda: tokens.append(make_client(daraja).get_access_token()))
        for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert tokens == [recorded.TOKEN["access_token"]] * 8
    assert len(daraja.to(OAUTH)) == 1


def test_force_refresh_fetches_a_new_token(daraja):
    daraja.on(OAUTH, (200, recorded.TOKEN), (200, recorded.TOKEN_NUMERIC_EXPIRY))
    client = make_client(daraja)
    assert client.get_access_token() == recorded.TOKEN["access_token"]
    assert (
        client.get_access_token(force_refresh=True) == recorded.TOKEN_NUMERIC_EXPIRY["access_token"]
    )
    assert client.get_access_token() == recorded.TOKEN_NUMERIC_EXPIRY["access_token"]


@pytest.mark.parametrize(
    "token_failure",
    [requests.exceptions.ReadTimeout("read timed out"), (502, recorded.PROXY_502_HTML)],
)
def test_a_failed_token_request_means_the_push_was_not_sent(daraja, token_failure):
    daraja.on(OAUTH, token_failure)
    daraja.on(PUSH, (200, recorded.STK_ACCEPTED))
    with pytest.raises(DarajaConnectionError, match="nothing was sent"):
        push(make_client(daraja))
    assert daraja.to(PUSH) == []


def test_a_token_request_timing_out_on_its_own_is_a_timeout(daraja):
    daraja.on(OAUTH, requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(DarajaTimeout):
        make_client(daraja).get_access_token()


def test_wrong_consumer_key_or_secret_is_an_auth_error(daraja):
    daraja.on(OAUTH, (400, recorded.OAUTH_INVALID_CREDENTIALS))
    with pytest.raises(DarajaAuthError) as excinfo:
        make_client(daraja).get_access_token()
    assert excinfo.value.http_status == 400
    assert excinfo.value.error_code == "400.008.01"


def test_wrong_credentials_with_an_empty_body_is_still_an_auth_error(daraja):
    daraja.on(OAUTH, (400, ""))
    with pytest.raises(DarajaAuthError):
        make_client(daraja).get_access_token()


def test_busy_oauth_is_not_blamed_on_the_credentials(daraja):
    daraja.on(OAUTH, (500, recorded.SPIKE_ARREST))
    with pytest.raises(DarajaBusy):
        make_client(daraja).get_access_token()


def test_invalid_token_answer_refreshes_once_and_retries_once(daraja):
    daraja.on(OAUTH, (200, recorded.TOKEN), (200, recorded.TOKEN_NUMERIC_EXPIRY))
    daraja.on(PUSH, (404, recorded.INVALID_TOKEN), (200, recorded.STK_ACCEPTED))
    accepted = push(make_client(daraja))
    assert accepted.checkout_request_id == "ws_CO_1007202409152617172396192"
    assert len(daraja.to(OAUTH)) == 2
    first, second = daraja.to(PUSH)
    assert first.headers["Authorization"] == "Bearer c9SQxWWhmdVRlyh0zh8gZDTkubVF"
    assert second.headers["Authorization"] == "Bearer Q2hhbmdlZFRva2VuMTIz"


def test_invalid_token_twice_gives_up_after_one_retry(daraja):
    daraja.on(PUSH, (404, recorded.INVALID_TOKEN))
    with pytest.raises(DarajaAuthError) as excinfo:
        push(make_client(daraja))
    assert excinfo.value.error_code == "404.001.03"
    assert len(daraja.to(PUSH)) == 2


def test_invalid_token_uses_a_token_another_worker_already_refreshed(daraja):
    client = make_client(daraja)
    client.get_access_token()
    daraja.on(PUSH, (404, recorded.INVALID_TOKEN), (200, recorded.STK_ACCEPTED))

    real_send = client._send

    def send_then_other_worker_refreshes(method, path, **kwargs):
        response = real_send(method, path, **kwargs)
        if path == PUSH and response.status_code == 404:
            cache.set(client._token_cache_key, "token-from-another-worker", 100)
        return response

    client._send = send_then_other_worker_refreshes
    push(client)
    assert len(daraja.to(OAUTH)) == 1
    assert daraja.to(PUSH)[1].headers["Authorization"] == "Bearer token-from-another-worker"


# --- STK push: what is sent -------------------------------------------------------------------


def test_stk_push_sends_daraja_body_with_one_nairobi_timestamp(daraja):
    daraja.on(PUSH, (200, recorded.STK_ACCEPTED))
    accepted = push(make_client(daraja))
    (request,) = daraja.to(PUSH)
    body = request.json
    assert request.url == "https://sandbox.safaricom.co.ke/mpesa/stkpush/v1/processrequest"
    assert request.timeout == (3.0, 20.0)
    assert body["Timestamp"] == "20240628092408"
    assert (
        body["Password"]
        == base64.b64encode(f"{SHORTCODE}{PASSKEY}20240628092408".encode()).decode()
    )
    assert body == {
        "BusinessShortCode": SHORTCODE,
        "Password": body["Password"],
        "Timestamp": "20240628092408",
        "TransactionType": "CustomerPayBillOnline",
        "Amount": 1499,
        "PartyA": "254708374149",
        "PartyB": SHORTCODE,
        "PhoneNumber": "254708374149",
        "CallBackURL": CALLBACK,
        "AccountReference": "100042",
        "TransactionDesc": "Order 100042",
    }
    assert type(body["Amount"]) is int
    assert accepted.request_body == {**body, "Password": "***"}
    assert accepted.raw == recorded.STK_ACCEPTED
    assert accepted.merchant_request_id == "2654-4b64-97ff-b827b542881d3130"
    assert accepted.response_code == "0"
    assert accepted.customer_message == "Success. Request accepted for processing"


def test_buy_goods_sends_the_till_number_as_party_b(daraja):
    daraja.on(PUSH, (200, recorded.STK_ACCEPTED))
    client = make_client(
        daraja, transaction_type="CustomerBuyGoodsOnline", shortcode="7654321", till_number="123456"
    )
    push(client)
    body = daraja.to(PUSH)[0].json
    assert body["TransactionType"] == "CustomerBuyGoodsOnline"
    assert body["BusinessShortCode"] == "7654321"
    assert body["PartyB"] == "123456"


def test_buy_goods_without_a_till_number_is_refused_at_construction(daraja):
    with pytest.raises(ValueError, match="till"):
        make_client(daraja, transaction_type="CustomerBuyGoodsOnline")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"phone": "0212345678"}, InvalidPhoneNumber),
        ({"amount": Decimal("10.50")}, InvalidAmount),
        ({"amount": 10.0}, InvalidAmount),
        ({"amount": 0}, InvalidAmount),
        ({"amount": 250_001}, InvalidAmount),
        ({"account_reference": "A" * 13}, InvalidReference),
        ({"description": "D" * 14}, InvalidReference),
        ({"callback_url": "https://shop.example/mpesa/callback/"}, InvalidCallbackUrl),
        ({"callback_url": "https://shop.example/cb/?query=1"}, InvalidCallbackUrl),
    ],
)
def test_bad_input_is_refused_before_any_http_call(daraja, overrides, error):
    with pytest.raises(error) as excinfo:
        push(make_client(daraja), **overrides)
    assert isinstance(excinfo.value, ValueError)
    assert daraja.sent == []


# --- STK push: what comes back ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "answer", "error_class", "code"),
    [
        (400, recorded.INVALID_PHONE, DarajaRejected, "400.002.02"),
        (500, recorded.WRONG_CREDENTIALS, DarajaRejected, "500.001.1001"),
        (500, recorded.SUBSCRIBER_LOCKED, DarajaRejected, "500.001.1001"),
        (500, recorded.SYSTEM_BUSY, DarajaBusy, "500.003.02"),
        (500, recorded.SPIKE_ARREST, DarajaBusy, "500.003.02"),
        (500, recorded.QUOTA, DarajaBusy, "500.003.03"),
    ],
)
def test_daraja_error_bodies_become_typed_errors_keeping_code_and_message(
    daraja, status, answer, error_class, code
):
    daraja.on(PUSH, (status, answer))
    with pytest.raises(error_class) as excinfo:
        push(make_client(daraja))
    error = excinfo.value
    assert type(error) is error_class
    assert error.error_code == code
    assert error.error_message == answer["errorMessage"]
    assert error.http_status == status
    assert error.raw == answer
    assert len(daraja.to(PUSH)) == 1, "an STK push is never retried"


def test_busy_is_a_kind_of_rejection():
    assert issubclass(DarajaBusy, DarajaRejected)


def test_html_error_page_from_a_proxy_is_an_invalid_response(daraja):
    daraja.on(PUSH, (502, recorded.PROXY_502_HTML))
    with pytest.raises(DarajaInvalidResponse) as excinfo:
        push(make_client(daraja))
    assert excinfo.value.http_status == 502
    assert "502 Bad Gateway" in excinfo.value.raw
    assert len(daraja.to(PUSH)) == 1


def test_success_status_without_json_is_an_invalid_response(daraja):
    daraja.on(PUSH, (200, "OK"))
    with pytest.raises(DarajaInvalidResponse):
        push(make_client(daraja))


def test_accepted_answer_without_checkout_request_id_is_an_invalid_response(daraja):
    answer = {k: v for k, v in recorded.STK_ACCEPTED.items() if k != "CheckoutRequestID"}
    daraja.on(PUSH, (200, answer))
    with pytest.raises(DarajaInvalidResponse, match="CheckoutRequestID"):
        push(make_client(daraja))


def test_non_zero_response_code_is_a_rejection(daraja):
    daraja.on(PUSH, (200, {**recorded.STK_ACCEPTED, "ResponseCode": "1"}))
    with pytest.raises(DarajaRejected) as excinfo:
        push(make_client(daraja))
    assert excinfo.value.error_code == "1"


def test_read_timeout_is_ambiguous_and_never_retried(daraja):
    daraja.on(PUSH, requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(DarajaTimeout):
        push(make_client(daraja))
    assert len(daraja.to(PUSH)) == 1


def test_connection_broken_after_sending_is_ambiguous(daraja):
    broken = requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    )
    daraja.on(PUSH, broken)
    with pytest.raises(DarajaTimeout):
        push(make_client(daraja))
    assert len(daraja.to(PUSH)) == 1


def test_refused_connection_means_nothing_was_delivered(daraja):
    refused = requests.exceptions.ConnectionError(
        MaxRetryError(None, "/", NewConnectionError(None, "Connection refused"))
    )
    daraja.on(PUSH, refused)
    with pytest.raises(DarajaConnectionError):
        push(make_client(daraja))


def test_connect_timeout_means_nothing_was_delivered(daraja):
    daraja.on(PUSH, requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(DarajaConnectionError):
        push(make_client(daraja))


def test_default_session_never_retries_on_its_own():
    client = DarajaClient(
        base_url="https://sandbox.safaricom.co.ke",
        consumer_key="k",
        consumer_secret="s",
        shortcode=SHORTCODE,
        passkey=PASSKEY,
    )
    for prefix in ("https://", "http://"):
        assert client.session.get_adapter(prefix).max_retries.total == 0


# --- STK push query --------------------------------------------------------------------------


def test_query_success_is_decided_by_result_code(daraja):
    daraja.on(QUERY, (200, recorded.QUERY_SUCCESS))
    result = make_client(daraja).stk_query(checkout_request_id="ws_CO_13012021093521236557")
    assert result.state == StkQueryState.SUCCESS == "success"
    assert result.result_code == "0"
    assert result.result_desc == "The service request is processed successfully."
    body = daraja.to(QUERY)[0].json
    assert body["CheckoutRequestID"] == "ws_CO_13012021093521236557"
    assert body["Password"] == gateway.stk_password(SHORTCODE, PASSKEY, body["Timestamp"])


def test_query_with_response_code_zero_but_failed_result_is_failed(daraja):
    daraja.on(QUERY, (200, recorded.QUERY_CANCELLED))
    result = make_client(daraja).stk_query(checkout_request_id="ws_CO_13012021093521236557")
    assert result.state == "failed"
    assert result.result_code == "1032"


def test_query_keeps_non_numeric_result_codes(daraja):
    daraja.on(QUERY, (200, recorded.QUERY_ODD_CODE))
    result = make_client(daraja).stk_query(checkout_request_id="ws_CO_1")
    assert result.state == "failed"
    assert result.result_code == "SFC_IC0003"


def test_query_being_processed_is_pending_not_failure(daraja):
    daraja.on(QUERY, (500, recorded.BEING_PROCESSED))
    result = make_client(daraja).stk_query(checkout_request_id="ws_CO_1")
    assert result.state == "pending"
    assert result.is_pending
    assert result.result_code is None
    assert result.raw == recorded.BEING_PROCESSED


def test_query_of_unknown_checkout_request_id_is_a_rejection(daraja):
    daraja.on(QUERY, (500, recorded.DOES_NOT_EXIST))
    with pytest.raises(DarajaRejected, match="does not Exist"):
        make_client(daraja).stk_query(checkout_request_id="ws_CO_unknown")


def test_query_rate_limited_is_busy(daraja):
    daraja.on(QUERY, (500, recorded.SPIKE_ARREST))
    with pytest.raises(DarajaBusy):
        make_client(daraja).stk_query(checkout_request_id="ws_CO_1")


# --- C2B -------------------------------------------------------------------------------------


def test_register_c2b_urls_sends_daraja_body(daraja):
    daraja.on(REGISTER, (200, recorded.C2B_REGISTERED))
    result = make_client(daraja).register_c2b_urls(
        confirmation_url="https://shop.example/payments/c2b/s3cret/confirmation/",
        validation_url="https://shop.example/payments/c2b/s3cret/validation/",
    )
    assert result.response_code == "0"
    assert result.response_description == "Success"
    assert daraja.to(REGISTER)[0].json == {
        "ShortCode": SHORTCODE,
        "ResponseType": "Completed",
        "ConfirmationURL": "https://shop.example/payments/c2b/s3cret/confirmation/",
        "ValidationURL": "https://shop.example/payments/c2b/s3cret/validation/",
    }


def test_register_c2b_refuses_an_unknown_response_type(daraja):
    with pytest.raises(ValueError):
        make_client(daraja).register_c2b_urls(
            confirmation_url="https://shop.example/c/",
            validation_url="https://shop.example/v/",
            response_type="completed",
        )
    assert daraja.sent == []


def test_c2b_simulate_is_refused_against_production(daraja):
    client = make_client(daraja, base_url="https://api.safaricom.co.ke")
    with pytest.raises(ValueError, match="sandbox"):
        client.c2b_simulate(amount=10, msisdn="0708374149", bill_ref_number="100042")
    assert daraja.sent == []


def test_c2b_simulate_sends_daraja_body(daraja):
    daraja.on(SIMULATE, (200, {"ResponseCode": "0", "ResponseDescription": "Accepted"}))
    make_client(daraja).c2b_simulate(amount=10, msisdn="0708374149", bill_ref_number="100042")
    assert daraja.to(SIMULATE)[0].json == {
        "ShortCode": SHORTCODE,
        "CommandID": "CustomerPayBillOnline",
        "Amount": 10,
        "Msisdn": "254708374149",
        "BillRefNumber": "100042",
    }


# --- Secrets and logs ------------------------------------------------------------------------


def test_logs_mask_phone_numbers_and_never_carry_secrets(daraja, caplog):
    caplog.set_level(logging.DEBUG)
    daraja.on(PUSH, (200, recorded.STK_ACCEPTED), (400, recorded.INVALID_PHONE))
    client = make_client(daraja)
    accepted = push(client)
    with pytest.raises(DarajaRejected):
        push(client)
    text = "\n".join(record.getMessage() for record in caplog.records)
    password = daraja.to(PUSH)[0].json["Password"]
    assert "2547****4149" in text
    assert "254708374149" not in text
    for secret in (PASSKEY, password, SECRET, recorded.TOKEN["access_token"]):
        assert secret not in text
    assert PASSKEY not in repr(client)
    assert password not in repr(accepted)


def test_from_settings_reads_the_mpesa_settings(settings):
    settings.MPESA_BASE_URL = "https://sandbox.safaricom.co.ke"
    settings.MPESA_CONSUMER_KEY = "key-from-settings"
    settings.MPESA_TRANSACTION_TYPE = "CustomerBuyGoodsOnline"
    settings.MPESA_TILL_NUMBER = "987654"
    settings.MPESA_CONNECT_TIMEOUT = 2.5
    settings.MPESA_READ_TIMEOUT = 12.0
    client = DarajaClient.from_settings()
    assert client.base_url == "https://sandbox.safaricom.co.ke"
    assert client.consumer_key == "key-from-settings"
    assert client.till_number == "987654"
    assert client.timeout == (2.5, 12.0)
