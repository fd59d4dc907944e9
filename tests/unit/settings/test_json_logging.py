"""Production log lines: one JSON object per event, with the payment context and masked phones."""

import io
import json
import logging
from decimal import Decimal

import pytest
from django.utils.module_loading import import_string

from oscar_shop.logging import JsonLineFormatter, mask_phone_numbers, scrub


@pytest.fixture
def log_lines():
    """A logger writing through the formatter production names; returns the lines it wrote."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(import_string("oscar_shop.logging.JsonLineFormatter")())
    logger = logging.getLogger("shop.test.payments")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, lambda: stream.getvalue().splitlines()
    logger.removeHandler(handler)
    logger.propagate = True


def test_a_payment_record_renders_one_json_line_with_order_request_and_phone(log_lines):
    logger, lines = log_lines
    logger.info(
        "STK push accepted",
        extra={
            "order_number": "100042",
            "checkout_request_id": "ws_CO_191220191020363925",
            "phone": "2547****5678",
        },
    )
    [line] = lines()
    event = json.loads(line)
    assert event["message"] == "STK push accepted"
    assert event["level"] == "INFO"
    assert event["logger"] == "shop.test.payments"
    assert event["order_number"] == "100042"
    assert event["checkout_request_id"] == "ws_CO_191220191020363925"
    assert event["phone"] == "2547****5678"
    assert event["time"].endswith("+00:00")
    assert list(event)[:7] == [
        "time",
        "level",
        "logger",
        "message",
        "order_number",
        "checkout_request_id",
        "phone",
    ]


@pytest.mark.parametrize(
    "spelling",
    ["254712345678", "+254712345678", "0712345678", "+254 712 345 678", "0712-345-678"],
)
def test_a_phone_number_in_a_message_is_masked(log_lines, spelling):
    logger, lines = log_lines
    logger.warning("Customer %s asked again", spelling)
    [line] = lines()
    assert json.loads(line)["message"] == "Customer 2547****5678 asked again"
    assert "345678" not in line


def test_an_unmasked_phone_in_an_extra_or_a_traceback_is_masked(log_lines):
    logger, lines = log_lines
    try:
        raise ValueError("Daraja said: invalid MSISDN 254110123456\nsecond line")
    except ValueError:
        logger.exception(
            "STK push refused",
            extra={"order_number": "100043", "phone": "254712345678", "payer": "0798765432"},
        )
    [line] = lines()
    event = json.loads(line)
    assert event["phone"] == "2547****5678"
    assert event["payer"] == "2547****5432"
    assert "ValueError: Daraja said: invalid MSISDN 2541****3456\nsecond line" in event["exception"]
    for number in ("254712345678", "0798765432", "254110123456"):
        assert number not in line


def test_long_digit_runs_that_are_not_phones_stay_readable():
    text = "ws_CO_191220191020363925 receipt NLJ7RT61SV at 20191219102115 order 100042 KES 1250"
    assert mask_phone_numbers(text) == text


def test_simple_extras_are_kept_and_objects_are_left_out(log_lines):
    logger, lines = log_lines
    logger.info(
        "Callback refused",
        extra={"amount": Decimal("1250.00"), "attempts": 2, "verified": False, "request": object()},
    )
    event = json.loads(lines()[0])
    assert event["amount"] == "1250.00"
    assert event["attempts"] == 2
    assert event["verified"] is False
    assert "request" not in event


def test_a_record_without_payment_context_has_no_empty_context_keys():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Boom", None, None)
    event = json.loads(JsonLineFormatter().format(record))
    assert event["message"] == "Boom"
    assert not {"order_number", "checkout_request_id", "phone"} & set(event)


def test_a_multi_line_message_stays_on_one_line():
    record = logging.LogRecord(
        "apps.payment", logging.INFO, __file__, 1, "first\nsecond\u2028third", None, None
    )
    line = JsonLineFormatter().format(record)
    assert len(line.splitlines()) == 1
    assert json.loads(line)["message"] == "first\nsecond\u2028third"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (
            "/payments/stk/callback/Zq3x-9Lk_p0Vw8Hr2TbY6cNe4Ju1Ms7A/",
            "/payments/stk/callback/[redacted]/",
        ),
        ("/payments/c2b/5f0c2a9e7b41d8c3/confirmation/", "/payments/c2b/[redacted]/confirmation/"),
        (
            "/checkout/pay/100042/8f14e45fceea167a5a36dedd4bea2543/status/",
            "/checkout/pay/100042/[redacted]/status/",
        ),
        (
            "/payments/c2b/5f0c2a9e7b41d8c3/validation/?x=1",
            "/payments/c2b/[redacted]/validation/?x=1",
        ),
    ],
)
def test_callback_path_secrets_never_reach_a_log_line(log_lines, path, logged):
    logger, lines = log_lines
    logger.warning("Forbidden: %s", path, extra={"path": path})
    event = json.loads(lines()[0])
    assert event["message"] == f"Forbidden: {logged}"
    assert event["path"] == logged


def test_other_paths_are_logged_as_they_are():
    path = (
        "/catalogue/samsung-galaxy-a15-128gb_42/ /checkout/payment-details/ /payments/"
        " /checkout/thank-you/"
    )
    assert scrub(path) == path
