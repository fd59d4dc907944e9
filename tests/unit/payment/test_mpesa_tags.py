import pytest

from apps.payment.templatetags.mpesa_tags import local_phone


@pytest.mark.parametrize(
    "msisdn, shown",
    [
        ("254712345678", "0712 345 678"),
        ("254110123456", "0110 123 456"),
        ("2547 ***** 126", "2547 ***** 126"),
        ("", ""),
        (None, ""),
    ],
)
def test_phone_numbers_are_shown_the_way_kenyans_write_them(msisdn, shown):
    assert local_phone(msisdn) == shown
