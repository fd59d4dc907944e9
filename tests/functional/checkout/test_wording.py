"""Phones and stock limits read as Kenyan shoppers read them: the preview names the number
as 0712 345 678 (not 254712345678, nor +254712345678 for the contact phone), and a
refused quantity names the product."""

import pytest

from tests.functional.checkout.conftest import to_payment_details

pytestmark = pytest.mark.django_db


def test_the_preview_shows_phones_as_kenyans_write_them(django_app, catalogue):
    payment_page = to_payment_details(django_app, catalogue.kettle)
    form = payment_page.forms["mpesa_phone_form"]
    form["phone"] = "+254 722 123 456"

    preview = form.submit()

    text = preview.html.get_text(" ", strip=True)
    assert "will be sent to 0722 123 456" in text
    assert "Phone: 0712 345 678" in text  # the delivery address's contact phone
    assert "254722123456" not in text and "+254712345678" not in text
