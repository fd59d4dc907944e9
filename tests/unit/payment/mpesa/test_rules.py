from decimal import Decimal

import pytest

from apps.payment.mpesa.rules import (
    InvalidAmount,
    InvalidCallbackUrl,
    InvalidReference,
    check_account_reference,
    check_callback_url,
    check_transaction_desc,
    whole_shillings,
)


@pytest.mark.parametrize(
    ("amount", "shillings"),
    [
        (Decimal("1"), 1),
        (Decimal("1.00"), 1),
        (Decimal("2499.00"), 2499),
        (250_000, 250_000),
        ("150", 150),
    ],
)
def test_whole_shillings_accepts_whole_amounts_within_limits(amount, shillings):
    assert whole_shillings(amount) == shillings
    assert type(whole_shillings(amount)) is int


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("0"),
        Decimal("0.50"),
        Decimal("10.50"),
        Decimal("250001"),
        -5,
        1.0,
        10.5,
        True,
        "ten",
        Decimal("NaN"),
        None,
    ],
)
def test_whole_shillings_refuses_fractions_floats_and_amounts_outside_limits(amount):
    with pytest.raises(InvalidAmount):
        whole_shillings(amount)


def test_account_reference_allows_twelve_characters_and_no_more():
    assert check_account_reference("ORDER1000421") == "ORDER1000421"
    with pytest.raises(InvalidReference, match="12"):
        check_account_reference("ORDER10004212")
    with pytest.raises(InvalidReference):
        check_account_reference("  ")


def test_transaction_desc_allows_thirteen_characters_and_no_more():
    assert check_transaction_desc("Order 1000421") == "Order 1000421"
    with pytest.raises(InvalidReference, match="13"):
        check_transaction_desc("Order 10004212")


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.co.ke/payments/stk/callback/9f86d081884c7d65/",
        "http://127.0.0.1:8000/payments/stk/callback/abc123/",
    ],
)
def test_callback_url_without_forbidden_words_passes(url):
    assert check_callback_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.co.ke/mpesa/callback/",
        "https://shop.example.co.ke/M-PESA/callback/",
        "https://safaricom-shop.example/callback/",
        "https://shop.example/callback.exe",
        "https://shop.example/exec/callback",
        "https://shop.example/cmd/",
        "https://shop.example/callback/xSQLy/",
        "https://shop.example/stk/Query/",
        "/payments/stk/callback/abc/",
        "ftp://shop.example/callback/",
        "",
    ],
)
def test_callback_url_safaricom_refuses_is_refused(url):
    with pytest.raises(InvalidCallbackUrl):
        check_callback_url(url)
