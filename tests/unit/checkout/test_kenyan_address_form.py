"""The checkout's shipping address form, as a Kenyan shopper fills it in."""

import pytest
from oscar.core.loading import get_class, get_model

from apps.common.kenya import COUNTIES, COUNTY_CHOICES
from apps.demo.loader import LoadReport, ensure_kenya

ShippingAddressForm = get_class("checkout.forms", "ShippingAddressForm")
Country = get_model("address", "Country")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def kenya():
    return ensure_kenya(LoadReport())


def address(**overrides) -> dict[str, str]:
    data = {
        "first_name": "Wanjiku",
        "last_name": "Kamau",
        "line1": "Kimathi House, Kimathi Street",
        "line2": "",
        "line4": "Nairobi",
        "state": "Nairobi",
        "postcode": "",
        "phone_number": "0712 345 678",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_forked_form_is_the_one_oscar_loads():
    from apps.checkout.forms import ShippingAddressForm as ShopForm

    assert ShippingAddressForm is ShopForm


def test_address_without_postcode_is_accepted():
    form = ShippingAddressForm(address())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["postcode"] == ""


def test_a_given_postcode_must_still_be_a_kenyan_one():
    assert ShippingAddressForm(address(postcode="00100")).is_valid()
    form = ShippingAddressForm(address(postcode="SW1A 1AA"))
    assert not form.is_valid()
    assert "postcode" in form.errors


def test_local_phone_number_is_stored_in_international_form():
    form = ShippingAddressForm(address(phone_number="0712345678"))
    assert form.is_valid(), form.errors
    assert str(form.cleaned_data["phone_number"]) == "+254712345678"


@pytest.mark.parametrize("field", ["phone_number", "state", "line1", "line4", "first_name"])
def test_required_fields(field):
    form = ShippingAddressForm(address(**{field: ""}))
    assert not form.is_valid()
    assert field in form.errors


@pytest.mark.parametrize("number", ["+44 7911 123456", "+255 754 123 456"])
def test_foreign_phone_numbers_are_refused(number):
    form = ShippingAddressForm(address(phone_number=number))
    assert not form.is_valid()
    assert "Kenyan phone number" in str(form.errors["phone_number"])


@pytest.mark.parametrize("number", ["12", "07123", "not a number"])
def test_invalid_phone_numbers_are_refused(number):
    form = ShippingAddressForm(address(phone_number=number))
    assert not form.is_valid()
    assert "phone_number" in form.errors


def test_county_must_be_one_of_the_47():
    assert not ShippingAddressForm(address(state="Atlantis")).is_valid()
    assert len(COUNTIES) == 47 == len(set(COUNTIES))
    choices = dict(ShippingAddressForm().fields["state"].choices)
    assert {name for name in choices if name} == set(COUNTIES)
    assert [value for value, _ in COUNTY_CHOICES] == sorted(COUNTIES)


def test_fields_read_the_kenyan_way():
    fields = ShippingAddressForm().fields
    assert fields["line1"].label == "Street / building"
    assert fields["line4"].label == "Town"
    assert fields["state"].label == "County"
    assert fields["postcode"].required is False
    assert "line3" not in fields


def test_country_is_kenya_and_not_asked_for():
    form = ShippingAddressForm(address())
    assert "country" not in form.fields
    assert form.is_valid(), form.errors
    assert form.instance.country.iso_3166_1_a2 == "KE"
