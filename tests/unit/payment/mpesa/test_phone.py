import pytest

from apps.payment.mpesa.phone import InvalidPhoneNumber, mask_phone, normalise_phone


@pytest.mark.parametrize(
    ("typed", "msisdn"),
    [
        ("0712345678", "254712345678"),
        ("712345678", "254712345678"),
        ("+254 712 345 678", "254712345678"),
        ("254712345678", "254712345678"),
        ("+254712345678", "254712345678"),
        ("0712-345-678", "254712345678"),
        (" 0712 345 678 ", "254712345678"),
        ("0110123456", "254110123456"),
        ("0110 123 456", "254110123456"),
        ("110123456", "254110123456"),
        ("+254 110-123-456", "254110123456"),
        ("254708374149", "254708374149"),
        ("00254712345678", "254712345678"),
        ("+254 712-345-678", "254712345678"),
        ("(0712) 345 678", "254712345678"),
        ("2540712345678", "254712345678"),  # country code and trunk zero: still one number
        ("07\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", "254712345678"),  # Arabic-Indic
        (
            "\uff10\uff17\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
            "254712345678",
        ),  # fullwidth
    ],
)
def test_normalises_every_usual_spelling_to_the_msisdn(typed, msisdn):
    normalised = normalise_phone(typed)
    assert normalised == msisdn
    assert normalised.isascii()  # one rate-limit key, and ASCII digits to Daraja


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "07123456",  # too short
        "07123456789",  # too long
        "0212345678",  # landline
        "0812345678",
        "00255712345678",  # Tanzania, dialled from abroad
        "+255712345678",  # Tanzania
        "0712.345.678",
        "07l2345678",  # a letter l instead of a one
        "254 7123 4567 8x",
        "+2547123456789",
        None,
    ],
)
def test_refuses_anything_that_is_not_a_kenyan_mobile_number(typed):
    with pytest.raises(InvalidPhoneNumber) as excinfo:
        normalise_phone(typed)
    assert "e.g. 0712 345 678" in str(excinfo.value)


def test_invalid_phone_number_is_a_value_error_for_forms():
    assert issubclass(InvalidPhoneNumber, ValueError)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("254712345678", "2547****5678"),
        ("254110123456", "2541****3456"),
        ("", ""),
        ("1234", "****"),
    ],
)
def test_masks_the_middle_of_a_number(phone, masked):
    assert mask_phone(phone) == masked
